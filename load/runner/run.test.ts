/**
 * The runner core on virtual time: minutes of schedule run in milliseconds, and every figure is
 * exact, so these tests pin the measurement rules (open model, latency from the scheduled start,
 * dropped arrivals, verdicts). The real-time loopback run is in load/run-profile.test.ts.
 */
import { VirtualClock } from './clock';
import { runLoad } from './run';
import type { LoadPlan, Outcome, Progress } from './types';

function plan(overrides: Partial<LoadPlan> = {}): LoadPlan {
  return {
    name: 'test',
    startRate: 25,
    stages: [{ durationMs: 20_000, toRate: 25 }],
    maxInFlight: 200,
    thresholds: { p95Ms: 400, maxErrorRate: 0.01, minRateRatio: 0.95, perEndpoint: true },
    ...overrides,
  };
}

describe('runLoad on virtual time', () => {
  it('holds 25 TPS for 20 s and measures a fixed 100 ms service as P95 100 ms', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const r = await runLoad(plan(), {
      clock,
      request: async (i) => {
        seen.push(i);
        await clock.sleep(100);
        return { status: 200, ok: true, tag: 'Appointment' };
      },
    });
    expect(r.scheduled).toBe(500);
    expect(r.started).toBe(500);
    expect(r.completed).toBe(500);
    expect(seen).toEqual([...Array(500).keys()]);
    expect(r.achievedRate).toBeCloseTo(25, 6);
    expect(r.latency.p95).toBeCloseTo(100, 0);
    expect(r.serviceTime.p95).toBeCloseTo(100, 0);
    expect(r.scheduleLag.max).toBeLessThan(0.01);
    expect(r.timeline).toHaveLength(20);
    expect(r.timeline.every((p) => p.offered === 25 && p.completed === 25)).toBe(true);
    expect(r.verdicts.map((v) => [v.id, v.pass])).toEqual([
      ['p95', true],
      ['errors', true],
      ['rate', true],
    ]);
    expect(r.pass).toBe(true);
  });

  it('measures from the scheduled start: a 1 s stall shows as latency, not as a lower rate', async () => {
    const clock = new VirtualClock();
    const r = await runLoad(plan({ stages: [{ durationMs: 10_000, toRate: 25 }] }), {
      clock,
      request: async () => {
        // The target stops answering between 5 s and 6 s; everything sent then waits for 6 s.
        const now = clock.now();
        if (now >= 5000 && now < 6000) await clock.waitUntil(6000);
        await clock.sleep(10);
        return { status: 200, ok: true };
      },
    });
    expect(r.started).toBe(250);
    expect(r.achievedRate).toBeCloseTo(25, 6);
    // The first request of the stall waited the whole second.
    expect(r.latency.max).toBeGreaterThanOrEqual(1000);
    expect(r.latency.p95).toBeGreaterThan(500);
    expect(r.verdicts.find((v) => v.id === 'p95')!.pass).toBe(false);
  });

  it('counts arrivals beyond the in-flight limit as dropped, and then the rate is not held', async () => {
    const clock = new VirtualClock();
    const r = await runLoad(plan({ maxInFlight: 5, stages: [{ durationMs: 4000, toRate: 25 }] }), {
      clock,
      request: async () => {
        await clock.sleep(1000);
        return { status: 200, ok: true };
      },
    });
    expect(r.scheduled).toBe(100);
    expect(r.started + r.dropped).toBe(100);
    expect(r.dropped).toBeGreaterThan(50);
    const rate = r.verdicts.find((v) => v.id === 'rate')!;
    expect(rate.pass).toBe(false);
    expect(rate.observed).toMatch(/dropped at the in-flight limit of 5/);
  });

  it('fails on errors: unexpected statuses, transport failures and content problems each count', async () => {
    const clock = new VirtualClock();
    const r = await runLoad(plan({ stages: [{ durationMs: 4000, toRate: 25 }] }), {
      clock,
      request: async (i): Promise<Outcome> => {
        await clock.sleep(5);
        if (i % 10 === 1) return { status: 500, ok: false, tag: 'Appointment' };
        if (i % 10 === 2) throw new Error('connection reset');
        if (i % 10 === 3)
          return { status: 200, ok: true, tag: 'Appointment', verify: () => ['Bundle.total is 1, the pack expects 2'] };
        return { status: 200, ok: true, tag: i % 2 ? 'Appointment' : 'Task' };
      },
    });
    expect(r.completed).toBe(100);
    expect(r.errors.total).toBe(30);
    expect(r.errors.byStatus).toEqual({ 500: 10 });
    expect(r.errors.transport).toEqual({ 'connection reset': 10 });
    expect(r.errors.verification).toBe(10);
    expect(r.problemSamples).toEqual(
      expect.arrayContaining([{ problem: 'Bundle.total is 1, the pack expects 2', count: 10 }]),
    );
    expect(r.byStatus).toEqual({ 200: 80, 500: 10, 'no response': 10 });
    expect(r.endpoints.map((e) => e.tag)).toEqual(['Appointment', 'request', 'Task']);
    const errors = r.verdicts.find((v) => v.id === 'errors')!;
    expect(errors.pass).toBe(false);
    expect(errors.observed).toBe('30 of 100 (30.00%), 10 with wrong content');
    expect(r.verdicts.filter((v) => v.id.startsWith('p95:')).map((v) => v.id)).toEqual([
      'p95:Appointment',
      'p95:request',
      'p95:Task',
    ]);
    expect(r.pass).toBe(false);
  });

  it('reports progress on runner time, with the P95 so far', async () => {
    const clock = new VirtualClock();
    const seen: Progress[] = [];
    await runLoad(plan({ stages: [{ durationMs: 3000, toRate: 10 }], startRate: 10 }), {
      clock,
      onProgress: (p) => seen.push(p),
      request: async () => {
        await clock.sleep(20);
        return { status: 200, ok: true };
      },
    });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    const last = seen[seen.length - 1]!;
    expect(last.completed).toBe(30);
    expect(last.p95SoFarMs).toBeCloseTo(20, 0);
    expect(seen[1]!.elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it('stops scheduling when aborted and still waits for what is in flight', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const r = await runLoad(plan(), {
      clock,
      signal: ac.signal,
      request: async (i) => {
        if (i === 9) ac.abort();
        await clock.sleep(50);
        return { status: 200, ok: true };
      },
    });
    expect(r.started).toBe(10);
    expect(r.completed).toBe(10);
  });

  describe('throttle verdicts (ramp 30 -> 90 TPS, limit 60)', () => {
    const throttlePlan = (): LoadPlan =>
      plan({
        startRate: 30,
        stages: [
          { durationMs: 30_000, toRate: 90 },
          { durationMs: 10_000, toRate: 90 },
        ],
        maxInFlight: 400,
        thresholds: { p95Ms: 1000, maxErrorRate: 0, minRateRatio: 0.95, throttle: { limitTps: 60, tolerance: 0.1 } },
      });

    /** A fixed-window limiter on virtual time: `limit` accepted per wall second, 429 after. */
    function limiter(clock: VirtualClock, limit: number) {
      const windows = new Map<number, number>();
      return async (): Promise<Outcome> => {
        const w = Math.floor(clock.now() / 1000);
        const n = (windows.get(w) ?? 0) + 1;
        windows.set(w, n);
        await clock.sleep(5);
        const status = n > limit ? 429 : 200;
        return { status, ok: status === 200 || status === 429 };
      };
    }

    it('passes a target that throttles at 60 TPS', async () => {
      const clock = new VirtualClock();
      const r = await runLoad(throttlePlan(), { clock, request: limiter(clock, 60) });
      expect(r.throttle!.above.throttled).toBeGreaterThan(0);
      expect(r.throttle!.below.throttled).toBe(0);
      expect(r.verdicts.map((v) => [v.id, v.pass])).toEqual([
        ['p95', true],
        ['errors', true],
        ['rate', true],
        ['throttle-below', true],
        ['throttle-above', true],
      ]);
    });

    it('fails a target that never throttles', async () => {
      const clock = new VirtualClock();
      const r = await runLoad(throttlePlan(), { clock, request: limiter(clock, 10_000) });
      const above = r.verdicts.find((v) => v.id === 'throttle-above')!;
      expect(above.pass).toBe(false);
      expect(above.observed).toMatch(/^0 of \d+ answered 429/);
    });

    it('fails a target that throttles too early', async () => {
      const clock = new VirtualClock();
      const r = await runLoad(throttlePlan(), { clock, request: limiter(clock, 40) });
      expect(r.verdicts.find((v) => v.id === 'throttle-below')!.pass).toBe(false);
      expect(r.verdicts.find((v) => v.id === 'throttle-above')!.pass).toBe(true);
    });
  });
});

describe('runLoad: producer:WF-NFR-02 observed on every answer', () => {
  const deadlinePlan = plan({
    startRate: 2,
    stages: [{ durationMs: 5_000, toRate: 2 }],
    thresholds: { maxErrorRate: 1, deadlineMs: 9_000, perEndpoint: true },
  });

  it('fails the deadline verdict on a late 200, names it, and shows the slowest answer per endpoint', async () => {
    const clock = new VirtualClock();
    const r = await runLoad(deadlinePlan, {
      clock,
      request: async (i): Promise<Outcome> => {
        // Request 3 answers Appointment 200 after 9.5 s; Task answers a proper 504 after 9.2 s.
        if (i === 3) {
          await clock.sleep(9_500);
          return { status: 200, ok: true, tag: 'Appointment' };
        }
        if (i === 4) {
          await clock.sleep(9_200);
          return { status: 504, ok: true, tag: 'Task', operationOutcome: true };
        }
        await clock.sleep(50);
        return { status: 200, ok: true, tag: i % 2 ? 'Appointment' : 'Task' };
      },
    });
    expect(r.deadline).toMatchObject({ deadlineMs: 9_000, lateCount: 1 });
    expect(r.deadline!.late[0]).toMatchObject({ endpoint: 'Appointment', status: 200 });
    expect(r.deadline!.late[0]!.problem).toMatch(/^HTTP 200 after 9,500 ms: past 9,000 ms the answer must be 504$/);
    const verdict = r.verdicts.find((v) => v.id === 'deadline')!;
    expect(verdict).toMatchObject({ pass: false, requirement: 'producer:WF-NFR-02' });
    expect(verdict.observed).toContain('1 late answer(s) not a 504 with an OperationOutcome');
    expect(verdict.observed).toContain('slowest: Appointment 9,500 ms (HTTP 200); Task 9,200 ms (HTTP 504)');
    expect(r.endpoints.map((e) => [e.tag, e.slowest])).toEqual([
      ['Appointment', { ms: 9_500, status: 200 }],
      ['Task', { ms: 9_200, status: 504 }],
    ]);
    expect(r.problemSamples.map((p) => p.problem)).toContain(
      'Appointment: HTTP 200 after more than 9,000 ms: past 9,000 ms the answer must be 504',
    );
    expect(r.pass).toBe(false);
  });

  it('passes when every late answer is a 504 with an OperationOutcome, and fails a bare late 504', async () => {
    for (const operationOutcome of [true, false]) {
      const clock = new VirtualClock();
      const r = await runLoad(deadlinePlan, {
        clock,
        request: async (): Promise<Outcome> => {
          await clock.sleep(9_100);
          return { status: 504, ok: true, tag: 'Appointment', operationOutcome };
        },
      });
      expect(r.verdicts.find((v) => v.id === 'deadline')?.pass).toBe(operationOutcome);
    }
  });

  it('observes nothing for a plan without a deadline (the aggregator and Record Service targets)', async () => {
    const clock = new VirtualClock();
    const r = await runLoad(plan({ stages: [{ durationMs: 1_000, toRate: 25 }] }), {
      clock,
      request: async () => {
        await clock.sleep(10);
        return { status: 200, ok: true, tag: 'Appointment' };
      },
    });
    expect(r.deadline).toBeUndefined();
    expect(r.verdicts.map((v) => v.id)).not.toContain('deadline');
  });
});
