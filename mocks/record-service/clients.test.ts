import type { ClientConfig } from '../../core/config';
import { ClientRegistry, ClientValidationError, clientRegistry, publicClientView } from './clients';

describe('client registry', () => {
  it('finds clients by id and API key, replaces them, and tells listeners', () => {
    const r = new ClientRegistry([{ clientId: 'pep-01', apiKey: 'key-0000001', resourceType: 'Appointment' }]);
    const changes: string[] = [];
    r.onChange((c) => changes.push(c.type === 'upserted' ? `+${c.client.clientId}` : `-${c.clientId}`));
    expect(r.byApiKey('key-0000001')?.clientId).toBe('pep-01');
    r.upsert({ clientId: 'pep-01', apiKey: 'key-0000002', resourceType: 'Appointment' });
    expect(r.byApiKey('key-0000001')).toBeUndefined();
    expect(r.byApiKey('key-0000002')?.clientId).toBe('pep-01');
    expect(r.remove('pep-01')).toBe(true);
    expect(r.remove('pep-01')).toBe(false);
    expect(changes).toEqual(['+pep-01', '-pep-01']);
  });

  it('validates against the config schema and refuses a shared API key', () => {
    const r = new ClientRegistry([{ clientId: 'pep-01', apiKey: 'key-0000001', resourceType: 'Appointment' }]);
    expect(() => r.upsert({ clientId: 'x', resourceType: 'Patient' } as unknown as ClientConfig)).toThrow(
      ClientValidationError,
    );
    expect(() => r.upsert({ clientId: 'pep-02', apiKey: 'key-0000001', resourceType: 'Task' })).toThrow(
      /already used by clientId "pep-01"/,
    );
  });

  it('gives the same registry for the same config array, so runtime additions are shared', () => {
    const arr: ClientConfig[] = [{ clientId: 'pep-01', resourceType: 'Task' }];
    const a = clientRegistry(arr);
    a.upsert({ clientId: 'pep-02', resourceType: 'Task' });
    expect(clientRegistry(arr).get('pep-02')).toBeDefined();
    expect(clientRegistry(a)).toBe(a);
  });

  it('shows clients without their secrets', () => {
    const view = JSON.stringify(
      publicClientView({
        clientId: 'pep-01',
        apiKey: 'key-secret-01',
        resourceType: 'Task',
        endpoint: { url: 'http://127.0.0.1:1', auth: { type: 'static', token: 'tok-secret' } },
      }),
    );
    expect(view).not.toContain('key-secret-01');
    expect(view).not.toContain('tok-secret');
    expect(view).toContain('"auth":"static"');
  });
});
