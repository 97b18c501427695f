import { FanOutStats } from './fan-out';

describe('FanOutStats', () => {
  it('reports the aggregator P95 minus the slowest upstream P95', () => {
    const s = new FanOutStats();
    for (let i = 0; i < 100; i++) {
      s.recordRequest(100);
      s.recordUpstream('portal-a', 40);
      s.recordUpstream('portal-b', 70);
      s.recordUpstream('nhs-waiting-list-01', 1);
    }
    const snap = s.snapshot();
    expect(snap.requests).toBe(100);
    expect(snap.upstreams.map((u) => [u.name, u.latency.count])).toEqual([
      ['nhs-waiting-list-01', 100],
      ['portal-a', 100],
      ['portal-b', 100],
    ]);
    expect(snap.slowestUpstream?.name).toBe('portal-b');
    expect(snap.slowestUpstream?.p95Ms).toBeCloseTo(70, 0);
    expect(snap.overheadP95Ms).toBeCloseTo(30, 0);
  });

  it('has no overhead figure before any upstream was called, and starts afresh on reset', () => {
    const s = new FanOutStats();
    s.recordRequest(5);
    expect(s.snapshot()).toMatchObject({ requests: 1, upstreams: [] });
    expect(s.snapshot().overheadP95Ms).toBeUndefined();
    s.recordUpstream('portal-a', 3);
    s.reset();
    expect(s.snapshot()).toMatchObject({ requests: 0, upstreams: [] });
  });

  it('never reports a negative overhead', () => {
    const s = new FanOutStats();
    s.recordRequest(10);
    s.recordUpstream('portal-a', 50);
    expect(s.snapshot().overheadP95Ms).toBe(0);
  });
});
