/**
 * One client-admin router, one error catalogue: the mock platform and the standalone Record Service
 * app answer the same `/_harness/clients` request with the same body (the platform's client view
 * adds only the aggregator's extension: contract pass and pull status).
 */
import request from 'supertest';
import { DEFAULT_CONFIG, type HarnessConfig } from '../../core/config';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { createPlatform, type Platform } from '../platform';
import { API_KEY, startTestPlatform, type TestPlatform } from './test-support/setup';

const config: HarnessConfig = {
  ...DEFAULT_CONFIG,
  platform: {
    ...DEFAULT_CONFIG.platform,
    clients: [{ clientId: 'pep-01', apiKey: API_KEY, resourceType: 'Appointment' }],
  },
};

type Call = { name: string; send: (agent: ReturnType<typeof request>) => request.Test };

const CALLS: Call[] = [
  { name: 'an unknown client', send: (a) => a.get('/_harness/clients/no-such-client') },
  { name: 'removing an unknown client', send: (a) => a.delete('/_harness/clients/no-such-client') },
  {
    name: 'a body that is not an object',
    send: (a) => a.post('/_harness/clients').set('Content-Type', 'application/json').send('[1]'),
  },
  {
    name: 'malformed JSON',
    send: (a) => a.post('/_harness/clients').set('Content-Type', 'application/json').send('{"clientId": '),
  },
  { name: 'a client without a clientId', send: (a) => a.post('/_harness/clients').send({ resourceType: 'Task' }) },
  {
    name: 'a clientId that differs from the path',
    send: (a) => a.put('/_harness/clients/pep-x').send({ clientId: 'pep-y', apiKey: 'key-pep-x-0001' }),
  },
  {
    name: 'a client the registry refuses (API key already used)',
    send: (a) => a.post('/_harness/clients').send({ clientId: 'pep-dup', apiKey: API_KEY, resourceType: 'Task' }),
  },
];

describe('the one client-admin router', () => {
  let standalone: TestPlatform;
  let platform: Platform;

  beforeAll(async () => {
    standalone = await startTestPlatform();
    platform = createPlatform({ config, pack: buildDefaultPack(new Date()), stateDir: ':memory:' });
  });
  afterAll(async () => {
    await standalone.close();
    await platform.stop();
  });

  it.each(CALLS)('both apps answer $name with the same status and error body', async ({ send }) => {
    const a = await send(request(standalone.url));
    const b = await send(request(platform.app));
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.status).toBeLessThan(500);
    expect(b.status).toBe(a.status);
    expect(a.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect(b.body).toEqual(a.body);
  });

  it('registers a client the same way; the platform adds only its contract-pass and pull view', async () => {
    const client = { resourceType: 'Task', apiKey: 'key-same-client-0042' };
    const a = await request(standalone.url).put('/_harness/clients/pep-same').send(client);
    const b = await request(platform.app).put('/_harness/clients/pep-same').send(client);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const { contractPass, pulls, client: inner, ...rest } = b.body as Record<string, unknown>;
    expect(contractPass).toBeNull();
    expect(pulls).toMatchObject({ enabled: false });
    expect(rest).toEqual({ ...(a.body as Record<string, unknown>), client: undefined });
    expect(inner).toEqual({ ...rest, contractPass, pulls });
    expect(JSON.stringify(a.body)).not.toContain('key-same-client-0042');
  });

  it('serves contract passes only where the extension is injected (the platform)', async () => {
    expect((await request(platform.app).post('/_harness/clients/pep-01/contract-pass').send({})).status).toBe(200);
    const standaloneAnswer = await request(standalone.url).post('/_harness/clients/pep-01/contract-pass').send({});
    expect(standaloneAnswer.status).toBe(404);
    expect(standaloneAnswer.body).toEqual({ error: 'not-found', message: expect.stringContaining('no such endpoint') });
  });
});
