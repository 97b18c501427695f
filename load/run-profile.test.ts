/**
 * Whole profile runs as `pca-harness load` makes them. The arithmetic (schedule, lag, latency and
 * service-time percentiles, rates, throttle bands, verdicts) runs on virtual time against a fake
 * transport, so every figure is exact and no test depends on how busy the machine is. The runs
 * against the reference supplier use real loopback HTTP, real OAuth and NHS login tokens, and assert
 * only what does not depend on timing (statuses, content verdicts). Real-time accuracy is a figure
 * of `npm run bench -- load-accuracy`, never an assertion here.
 */
import { decodeJwt } from 'jose';
import { CORRELATION_HEADER } from '../core/http';
import { buildDefaultPack } from '../fixtures/default-pack';
import { SlidingWindowLimiter } from '../mocks/supplier/rate-limit';
import { startSupplierStack, STACK_CLIENT_ID, STACK_CLIENT_SECRET, type SupplierStack } from '../mocks/supplier/stack';
import type { HttpReply, HttpRequest, LoadHttpClient } from './http-client';
import { getProfile } from './profiles';
import { recordsBatches, runLoadProfile, selectPatients } from './run-profile';
import { VirtualClock } from './runner/clock';
import { formatLoadSummary, renderLoadJUnit } from './report';

const ON = new Date(Date.UTC(2025, 5, 2));
const pack = buildDefaultPack(ON);

/**
 * Virtual time whose timers fire `lateMs` late, as real timers do: every arrival the runner had to
 * wait for starts exactly that long after its scheduled time. Sleeps (the target's service time)
 * are not late.
 */
class LateClock extends VirtualClock {
  constructor(private readonly lateMs: number) {
    super();
  }

  override waitUntil(at: number): Promise<void> {
    return super.waitUntil(at + this.lateMs);
  }

  override sleep(ms: number): Promise<void> {
    return super.waitUntil(this.now() + ms);
  }
}

type Answer = (req: HttpRequest, i: number) => Promise<HttpReply> | HttpReply;

/**
 * A transport that answers in-process: the reachability check (`GET /`) with a 404, like any
 * server that does not serve its root, and request `i` of the run with `answer`. It keeps what it
 * was sent.
 */
function fakeTransport(answer: Answer): LoadHttpClient & { sent: HttpRequest[]; checks: number } {
  const t = {
    sent: [] as HttpRequest[],
    checks: 0,
    async send(req: HttpRequest): Promise<HttpReply> {
      if (req.url.pathname === '/') {
        t.checks += 1;
        return { status: 404, headers: {}, body: '' };
      }
      t.sent.push(req);
      return answer(req, t.sent.length - 1);
    },
    close(): void {},
  };
  return t;
}

const nhsNumberOf = (req: HttpRequest): string => req.url.searchParams.get('patient:identifier')!.split('|')[1]!;

/** A supplier that takes `serviceMs(i)` of virtual time, echoes the correlation id and returns the pack's bundle. */
function supplierAnswer(clock: VirtualClock, serviceMs: (i: number) => number): Answer {
  return async (req, i) => {
    await clock.sleep(serviceMs(i));
    const patient = pack.patients.find((p) => p.nhsNumber === nhsNumberOf(req))!;
    return {
      status: 200,
      headers: {
        [CORRELATION_HEADER.toLowerCase()]: req.headers![CORRELATION_HEADER]!,
        'content-type': 'application/fhir+json',
      },
      body: JSON.stringify(patient.expected.Appointment),
    };
  };
}

const eligibleNumbers = (profile: string): string[] =>
  selectPatients(pack, getProfile(profile), ON)
    .map((p) => p.patient.nhsNumber)
    .sort();

describe('runLoadProfile on virtual time with a fake transport', () => {
  it('supplier-standard for 20 s: 500 arrivals on schedule, lag, latency and service time exact to the microsecond', async () => {
    const clock = new LateClock(0.25);
    // Every tenth request takes 300 ms, the rest 100 ms.
    const transport = fakeTransport(supplierAnswer(clock, (i) => (i % 10 === 9 ? 300 : 100)));
    const report = await runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 20_000 },
      target: 'http://supplier.test',
      bearer: 'loopback-token',
      pack,
      on: ON,
      verify: true,
      clock,
      transport,
    });
    const r = report.result;
    expect(transport.checks).toBe(1);
    expect([r.scheduled, r.started, r.completed, r.dropped, r.interrupted]).toEqual([500, 500, 500, 0, 0]);
    // Arrivals every 40 ms; the first starts at once, the other 499 when their timer fires, 0.25 ms late.
    expect(r.plan.meanPlannedRate).toBe(25);
    expect(r.achievedRate).toBe(499 / ((19_960.25 - 0) / 1000));
    expect(r.scheduleLag).toMatchObject({ count: 500, p50: 0.25, p95: 0.25, p99: 0.25, max: 0.25 });
    // HDR histogram, 3 significant digits: a percentile is reported as the top of its bucket, which
    // is 64 us wide around 100 ms and 128 us wide around 300 ms; the minimum and maximum are exact. Service time:
    // 450 x 100 ms, 50 x 300 ms.
    expect(r.serviceTime).toMatchObject({ count: 500, min: 100, p50: 100.031, p90: 100.031, p95: 300.031 });
    expect(r.serviceTime.max).toBe(300);
    // Latency counts from the scheduled start, so it carries the lag: 100.25 ms lands in
    // [100.224, 100.287], 300.25 ms in [300.160, 300.287]; the first request had no lag (100 ms).
    expect(r.latency).toMatchObject({ count: 500, min: 100, p50: 100.287, p90: 100.287, p95: 300.287 });
    expect(r.latency.max).toBe(300.25);
    expect(r.timeline).toHaveLength(20);
    expect(r.timeline.every((s) => s.offered === 25 && s.started === 25 && s.completed === 25)).toBe(true);
    expect(r.byStatus).toEqual({ 200: 500 });
    expect(r.errors).toMatchObject({ total: 0, verification: 0 });
    expect(report.verdicts.map((v) => [v.id, v.pass])).toEqual([
      ['p95', true],
      ['errors', true],
      ['rate', true],
      ['deadline', true],
    ]);
    expect(report.pass).toBe(true);

    // What was sent: the bearer as given, an ID token from the NHS login mock started for the run
    // for every eligible patient in turn, and a fresh correlation id each time.
    const sent = transport.sent;
    expect(sent.every((q) => q.method === 'GET' && q.url.origin === 'http://supplier.test')).toBe(true);
    expect(sent.every((q) => q.url.pathname === '/Appointment')).toBe(true);
    expect(new Set(sent.map((q) => q.headers!.Authorization))).toEqual(new Set(['Bearer loopback-token']));
    expect(report.idTokens?.source).toBe('in-process');
    const claims = sent.map((q) => decodeJwt(q.headers!['NHSD-ID-Token']!));
    expect(new Set(claims.map((c) => c.iss))).toEqual(new Set([report.idTokens!.issuer]));
    expect(claims.every((c, i) => c.nhs_number === nhsNumberOf(sent[i]!))).toBe(true);
    expect([...new Set(sent.map(nhsNumberOf))].sort()).toEqual(eligibleNumbers('supplier-standard'));
    expect(new Set(sent.map((q) => q.headers![CORRELATION_HEADER])).size).toBe(500);
  });

  it('producer:WF-NFR-02: waits 12 s, fails the deadline verdict on a late 200 and names it in the summary and JUnit', async () => {
    const clock = new VirtualClock();
    const answer = supplierAnswer(clock, () => 50);
    // Request 5 answers 200 after 9.6 s; request 6 a proper 504 with an OperationOutcome after 9.2 s.
    const transport = fakeTransport(async (req, i) => {
      if (i === 5) {
        await clock.sleep(9_600);
        return answer(req, i);
      }
      if (i === 6) {
        await clock.sleep(9_200);
        const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
        return { status: 504, headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(oo) };
      }
      return answer(req, i);
    });
    const report = await runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 2_000 },
      target: 'http://supplier.test',
      bearer: 'loopback-token',
      pack,
      on: ON,
      clock,
      transport,
    });
    expect(new Set(transport.sent.map((q) => q.timeoutMs))).toEqual(new Set([12_000]));
    const d = report.result.deadline!;
    expect(d).toMatchObject({ deadlineMs: 9_000, lateCount: 1 });
    expect(d.slowest).toEqual([{ endpoint: 'Appointment', status: 200, latencyMs: 9_650, answers: 50, late: 1 }]);
    expect(report.verdicts.find((v) => v.id === 'deadline')).toMatchObject({ pass: false });
    expect(report.pass).toBe(false);
    expect(formatLoadSummary(report)).toMatch(
      /deadline {3}producer:WF-NFR-02: 1 late answer\(s\) not a 504 with an OperationOutcome; slowest: Appointment 9,650 ms \(HTTP 200\)/,
    );
    expect(renderLoadJUnit(report)).toMatch(
      /<testcase name="deadline: Answers after 9,000 ms are 504[^"]*"[^>]*>\s*<failure/,
    );
  });

  it('refuses a supplier run whose client timeout would cut off a late answer before it is seen', async () => {
    await expect(
      runLoadProfile({
        profile: 'supplier-standard',
        target: 'http://supplier.test',
        bearer: 'loopback-token',
        pack,
        on: ON,
        timeoutMs: 9_000,
        transport: fakeTransport(() => ({ status: 200, headers: {}, body: '' })),
      }),
    ).rejects.toThrow(/waits at least 12,000 ms for each answer.*producer:WF-NFR-02.*got a timeout of 9000 ms/);
  });

  it('a tail over the threshold fails P95, and only P95', async () => {
    const clock = new VirtualClock();
    // 10% at 450 ms: the 95th percentile is in the tail, over the profile's 400 ms.
    const transport = fakeTransport(supplierAnswer(clock, (i) => (i % 10 === 9 ? 450 : 100)));
    const report = await runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 10_000 },
      target: 'http://supplier.test',
      bearer: 'loopback-token',
      pack,
      on: ON,
      clock,
      transport,
    });
    // 450 ms lands in [449.920, 450.047] (128 us buckets).
    expect(report.result.latency.p95).toBe(450.047);
    expect(report.verdicts.map((v) => [v.id, v.pass])).toEqual([
      ['p95', false],
      ['errors', true],
      ['rate', true],
      ['deadline', true],
    ]);
    expect(report.verdicts[0]).toMatchObject({ expected: 'p95 <= 400 ms' });
    expect(report.pass).toBe(false);
  });

  it('wrong content fails the errors verdict under --verify, counted exactly and with no NHS number in the samples', async () => {
    const clock = new VirtualClock();
    const right = supplierAnswer(clock, () => 50);
    // Every fifth answer is another patient's bundle.
    const other = pack.patients.find((p) => (p.expected.Appointment?.total ?? 0) > 0)!;
    const transport = fakeTransport(async (req, i) => {
      const reply = await right(req, i);
      return i % 5 === 4 && nhsNumberOf(req) !== other.nhsNumber
        ? { ...reply, body: JSON.stringify(other.expected.Appointment) }
        : reply;
    });
    const report = await runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 4_000 },
      target: 'http://supplier.test',
      bearer: 'loopback-token',
      pack,
      on: ON,
      verify: true,
      clock,
      transport,
    });
    const wrong = transport.sent.filter((q, i) => i % 5 === 4 && nhsNumberOf(q) !== other.nhsNumber).length;
    expect(wrong).toBeGreaterThan(0);
    expect(report.result.errors).toMatchObject({ total: wrong, verification: wrong });
    expect(report.result.errors.rate).toBe(wrong / 100);
    const errors = report.verdicts.find((v) => v.id === 'errors')!;
    expect(errors.pass).toBe(false);
    expect(errors.observed).toMatch(new RegExp(`${wrong} with wrong content`));
    expect(report.result.problemSamples[0]!.problem).toMatch(/^Appointment differs from the pack: /);
    for (const p of report.result.problemSamples) expect(p.problem).not.toMatch(/\b9\d{9}\b/);
    expect(report.pass).toBe(false);
  });

  it("throttle: the ramp squeezed into 4 s against the supplier's 60 TPS limiter, counted by band", async () => {
    const clock = new VirtualClock();
    const limiter = new SlidingWindowLimiter(60);
    const transport = fakeTransport(async (req, i) => {
      const allowed = limiter.tryAcquire(clock.now());
      await clock.sleep(20);
      return allowed
        ? supplierAnswer(clock, () => 0)(req, i)
        : { status: 429, headers: { [CORRELATION_HEADER.toLowerCase()]: req.headers![CORRELATION_HEADER]! }, body: '' };
    });
    const report = await runLoadProfile({
      profile: 'throttle',
      overrides: { durationMs: 4_000 },
      target: 'http://supplier.test',
      bearer: 'loopback-token',
      pack,
      on: ON,
      clock,
      transport,
    });
    const t = report.result.throttle!;
    // 270 arrivals from 30 to 90 TPS: none throttled below 60 TPS, and the limiter's 60 a second
    // above it. The bands are the profile's (limit 60 TPS, 10% tolerance either side).
    expect(t).toEqual({
      below: { requests: 51, throttled: 0 },
      near: { requests: 36, throttled: 0 },
      above: { requests: 183, throttled: 50 },
    });
    expect(Object.keys(report.result.byStatus).sort()).toEqual(['200', '429']);
    expect(report.verdicts.map((v) => [v.id, v.pass])).toEqual([
      ['p95', true],
      ['errors', true],
      ['rate', true],
      ['deadline', true],
      ['throttle-below', true],
      ['throttle-above', true],
    ]);
  });
});

describe('runLoadProfile against a Record Service that says 200 and registers nothing', () => {
  it('fails the reconciliation verdict under --verify, as INT does with POST /records/', async () => {
    const clock = new VirtualClock();
    const transport = fakeTransport(async (req) => {
      if (req.url.pathname === '/_harness/records/reconciliation')
        return { status: 200, headers: {}, body: JSON.stringify({ distinctNhsNumbers: 0 }) };
      await clock.sleep(30);
      return { status: 200, headers: {}, body: JSON.stringify({ result: 'success' }) };
    });
    const report = await runLoadProfile({
      profile: 'records-bulk',
      overrides: { durationMs: 2000 },
      target: 'http://records.test',
      bearer: 'api-key',
      recordsClientId: 'pep-01',
      pack,
      on: ON,
      verify: true,
      clock,
      transport,
    });
    const posts = transport.sent.filter((q) => q.method === 'POST');
    expect(posts).toHaveLength(4);
    for (const q of posts) {
      expect(q.url.pathname).toBe('/records');
      expect(q.headers!.Authorization).toBe('Bearer api-key');
      expect(JSON.parse(q.body!)).toMatchObject({ clientId: 'pep-01', nhsNumbers: expect.any(Array) });
      expect((JSON.parse(q.body!) as { nhsNumbers: string[] }).nhsNumbers).toHaveLength(200);
    }
    expect(transport.sent.filter((q) => q.method === 'GET').map((q) => q.url.search)).toEqual(['?clientId=pep-01']);
    expect(report.records).toMatchObject({
      batchesSent: 4,
      batchesAcknowledged: 4,
      acknowledgedNumbers: 200,
      platformReconciliation: 0,
      warnings: 0,
    });
    expect(report.verdicts.find((v) => v.id === 'reconciliation')).toMatchObject({
      pass: false,
      expected: 'platform reconciliation count >= 200',
      observed: '0 distinct NHS numbers registered for pep-01',
    });
    expect(report.result.pass).toBe(true);
    expect(report.pass).toBe(false);
  });
});

describe('runLoadProfile against the reference supplier (real HTTP and tokens; no timing asserted)', () => {
  let stack: SupplierStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  // The supplier's own 60 TPS limiter is out of the way: a stalled runner catching up must not
  // turn into 429s that a test would then have to explain.
  const start = (fault?: 'leaks-other-patient') =>
    startSupplierStack({ pack, rateLimitTps: 10_000, ...(fault ? { fault } : {}) });
  const run = (s: SupplierStack, verify: boolean) =>
    runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 3_000 },
      target: s.supplier.url,
      credentials: {
        tokenUrl: `${s.supplier.url}/oauth2/token`,
        clientId: STACK_CLIENT_ID,
        clientSecret: STACK_CLIENT_SECRET,
      },
      platformUrl: s.nhsLogin.url,
      pack,
      verify,
    });

  it("with --verify every answer is the pack's, with real OAuth and NHS login tokens", async () => {
    stack = await start();
    const report = await run(stack, true);
    expect(report.result.byStatus).toEqual({ 200: 75 });
    expect(report.result.errors).toMatchObject({ total: 0, verification: 0 });
    expect(report.verdicts.find((v) => v.id === 'errors')!.pass).toBe(true);
    expect(report.idTokens?.source).toBe('platform');
  }, 30_000);

  it("a supplier that sends another patient's records fails the errors verdict under --verify", async () => {
    stack = await start('leaks-other-patient');
    const report = await run(stack, true);
    expect(report.result.errors.verification).toBe(75);
    const errors = report.verdicts.find((v) => v.id === 'errors')!;
    expect(errors.pass).toBe(false);
    expect(errors.observed).toMatch(/75 with wrong content/);
    expect(report.result.problemSamples[0]!.problem).toMatch(/^Appointment differs from the pack: /);
    for (const p of report.result.problemSamples) expect(p.problem).not.toMatch(/\b9\d{9}\b/);
    expect(report.pass).toBe(false);
  }, 30_000);

  it('without --verify the same supplier raises no errors: content is only judged when asked', async () => {
    stack = await start('leaks-other-patient');
    const report = await run(stack, false);
    expect(report.result.errors.total).toBe(0);
    expect(report.verdicts.find((v) => v.id === 'errors')!.pass).toBe(true);
  }, 30_000);
});

describe('recordsBatches', () => {
  it('tops a small pack up to one full batch of distinct valid numbers, eligible patients first', () => {
    const { numbers, batches } = recordsBatches(pack, 200, ON);
    expect(numbers).toHaveLength(200);
    expect(new Set(numbers).size).toBe(200);
    expect(batches).toHaveLength(1);
    const eligible = selectPatients(pack, getProfile('records-bulk'), ON).map((p) => p.patient.nhsNumber);
    expect(numbers.slice(0, eligible.length)).toEqual(eligible);
  });

  it('splits into batches of the given size', () => {
    const { batches } = recordsBatches(pack, 7, ON);
    expect(batches.slice(0, -1).every((b) => b.length === 7)).toBe(true);
    expect(batches[batches.length - 1]!.length).toBeLessThanOrEqual(7);
  });
});
