import { ClientRegistry } from './clients';
import { FaultInjector, FaultValidationError, RECORD_SERVICE_TIMEOUT_MS } from './faults';

function outcomes(f: FaultInjector, clientId: string, n: number): string[] {
  return Array.from({ length: n }, () => {
    const d = f.decide(clientId);
    return d.fault ? `${d.fault.status}${d.fault.kind === 'timeout' ? 't' : ''}` : 'ok';
  });
}

describe('fault injection', () => {
  const clients = new ClientRegistry([
    {
      clientId: 'pep-01',
      resourceType: 'Appointment',
      faults: { errorRates: { 500: 0.1, 503: 0.1, 504: 0.1 }, timeoutRate: 0.1, latencyMs: 25, seed: 42 },
    },
    { clientId: 'pep-docs', resourceType: 'DocumentReference' },
  ]);

  it('is seeded: the same seed gives the same sequence of failures', () => {
    const a = outcomes(new FaultInjector({ clients }), 'pep-01', 200);
    const b = outcomes(new FaultInjector({ clients }), 'pep-01', 200);
    expect(a).toEqual(b);
    const other = new FaultInjector({ clients });
    other.set('pep-01', { errorRates: { 500: 0.1, 503: 0.1, 504: 0.1 }, timeoutRate: 0.1, seed: 43 });
    expect(outcomes(other, 'pep-01', 200)).not.toEqual(a);
  });

  it('fails about the configured fraction of calls with each status, and adds the latency', () => {
    const f = new FaultInjector({ clients, timeoutMs: 200 });
    const seq = outcomes(f, 'pep-01', 4000);
    const share = (s: string) => seq.filter((x) => x === s).length / seq.length;
    for (const s of ['500', '503', '504', '504t']) expect(share(s)).toBeGreaterThan(0.08);
    for (const s of ['500', '503', '504', '504t']) expect(share(s)).toBeLessThan(0.12);
    expect(f.decide('pep-01').latencyMs).toBe(25);
    const timeout = Array.from({ length: 200 }, () => f.decide('pep-01').fault).find((x) => x?.kind === 'timeout');
    expect(timeout).toEqual({ status: 504, kind: 'timeout', waitMs: 200 });
    expect(f.stats().find((s) => s.clientId === 'pep-01')).toMatchObject({ source: 'config', calls: 4201 });
  });

  it("leaves clients without faults alone, defaults the timeout to the spec's 30 s, and lets runtime settings override config", () => {
    const f = new FaultInjector({ clients });
    expect(f.timeoutMs).toBe(RECORD_SERVICE_TIMEOUT_MS);
    expect(outcomes(f, 'pep-docs', 50)).toEqual(Array(50).fill('ok'));
    expect(f.decide(undefined)).toEqual({ latencyMs: 0 });
    f.set('pep-docs', { timeoutRate: 1, timeoutMs: 10 });
    expect(f.decide('pep-docs').fault).toEqual({ status: 504, kind: 'timeout', waitMs: 10 });
    f.clear('pep-docs');
    expect(f.decide('pep-docs').fault).toBeUndefined();
  });

  it('refuses configurations that cannot be right', () => {
    const f = new FaultInjector({ clients });
    expect(() => f.set('pep-01', { errorRates: { 500: 0.7, 503: 0.7 } })).toThrow(FaultValidationError);
    expect(() => f.set('pep-01', { timeoutRate: 2 })).toThrow(/timeoutRate/);
    expect(() => f.set('pep-01', { latencyMs: -1 } as never)).toThrow(/latencyMs/);
  });
});
