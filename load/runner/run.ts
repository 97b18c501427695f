/**
 * The open-model arrival-rate runner. Requests start when the schedule says, whether or not the
 * earlier ones have finished, so a slow target shows up as latency instead of silently lowering
 * the rate (no coordinated omission). Latency is measured from the scheduled start; service time
 * from the actual start; the difference is the runner's own schedule lag, recorded too.
 */
import type { ThrottleCounts } from './types';
import { DeadlineObserver } from '../../core/deadline';
import { rateAt, throttleBand, type ThrottleBand } from '../profile-data';
import { systemRunnerClock } from './clock';
import { LatencyRecorder } from './histogram';
import { arrivalSchedule } from './schedule';
import { evaluateThresholds } from './thresholds';
import type { EndpointStats, LoadPlan, LoadResult, Outcome, Progress, RunDeps, TimelinePoint } from './types';

/** Consecutive arrivals fired without yielding, when the runner is behind, before letting I/O run. */
const BURST_LIMIT = 256;
const MAX_PROBLEM_SAMPLES = 20;

interface Bucket {
  offered: number;
  started: number;
  dropped: number;
  completed: number;
  errors: number;
  throttled: number;
  accepted: number;
  rec: LatencyRecorder;
}

interface TagStats {
  count: number;
  errors: number;
  byStatus: Record<string, number>;
  rec: LatencyRecorder;
}

export type { ThrottleCounts };

/** LoadResult plus what only the throttle verdicts need. */
export type RunOutput = LoadResult & { throttle?: ThrottleCounts };

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function describeError(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

export async function runLoad(plan: LoadPlan, deps: RunDeps): Promise<RunOutput> {
  const clock = deps.clock ?? systemRunnerClock();
  const schedule = arrivalSchedule(plan.startRate, plan.stages);
  const progressEvery = plan.progressIntervalMs ?? 1000;
  const graceMs = plan.gracefulStopMs ?? 30_000;
  const throttle = plan.thresholds.throttle;
  const deadlineMs = plan.thresholds.deadlineMs;
  const answers = deadlineMs !== undefined ? new DeadlineObserver(deadlineMs) : undefined;

  const latency = new LatencyRecorder(3, true);
  const service = new LatencyRecorder(3);
  const lag = new LatencyRecorder(3);
  const buckets: Bucket[] = [];
  const tags = new Map<string, TagStats>();
  const byStatus: Record<string, number> = {};
  const errByStatus: Record<string, number> = {};
  const transport: Record<string, number> = {};
  const problems = new Map<string, number>();
  const bands: ThrottleCounts = {
    below: { requests: 0, throttled: 0 },
    near: { requests: 0, throttled: 0 },
    above: { requests: 0, throttled: 0 },
  };

  let scheduled = 0;
  let started = 0;
  let completed = 0;
  let dropped = 0;
  let errors = 0;
  let verificationErrors = 0;
  let inFlight = 0;
  let closed = false;
  let firstStart: number | undefined;
  let lastStart = 0;
  let lastProgress = 0;
  let onDrained: (() => void) | undefined;

  const startedAt = new Date().toISOString();
  const t0 = clock.now();
  const elapsed = (): number => clock.now() - t0;

  const bucket = (second: number): Bucket => {
    while (buckets.length <= second)
      buckets.push({
        offered: 0,
        started: 0,
        dropped: 0,
        completed: 0,
        errors: 0,
        throttled: 0,
        accepted: 0,
        rec: new LatencyRecorder(2),
      });
    return buckets[second]!;
  };

  const noteProblem = (p: string): void => {
    if (problems.has(p) || problems.size < MAX_PROBLEM_SAMPLES) problems.set(p, (problems.get(p) ?? 0) + 1);
  };

  const progress = (now: number): Progress => ({
    elapsedMs: now,
    plannedMs: schedule.durationMs,
    scheduled,
    started,
    completed,
    inFlight,
    dropped,
    errors,
    achievedRate: now > 0 ? started / (Math.min(now, schedule.durationMs || now) / 1000) : 0,
    p95SoFarMs: latency.percentile(95),
  });

  const maybeProgress = (now: number): void => {
    if (deps.onProgress && now - lastProgress >= progressEvery) {
      lastProgress = now;
      deps.onProgress(progress(now));
    }
  };

  const complete = (o: Outcome, due: number, firedAt: number, band: ThrottleBand | undefined): void => {
    if (closed) return;
    const end = elapsed();
    inFlight -= 1;
    completed += 1;
    const latencyMs = Math.max(0, end - due);
    let found: string[] = [];
    if (o.verify && !o.error) {
      try {
        found = o.verify();
      } catch (e) {
        found = [`the verifier failed: ${describeError(e)}`];
      }
    }
    const statusKey = o.status > 0 ? String(o.status) : 'no response';
    const isError = !o.ok || Boolean(o.error) || found.length > 0;
    latency.record(latencyMs);
    const serviceMs = Math.max(0, end - firedAt);
    service.record(serviceMs);
    bump(byStatus, statusKey);
    const tag = o.tag ?? 'request';
    // The supplier's deadline runs from when it got the request: service time, not schedule latency.
    const late =
      answers && o.status > 0
        ? answers.observe(tag, `${tag} started ${(firedAt / 1000).toFixed(1)} s into the run`, {
            status: o.status,
            latencyMs: serviceMs,
            operationOutcome: o.operationOutcome ?? false,
          })
        : undefined;
    if (late)
      noteProblem(
        `${tag}: ${late.replace(/after [\d,]+ ms/, `after more than ${deadlineMs!.toLocaleString('en-GB')} ms`)}`,
      );
    if (isError) {
      errors += 1;
      if (o.error) {
        bump(transport, o.error);
        noteProblem(o.error);
      } else if (found.length > 0) {
        verificationErrors += 1;
        for (const p of found) noteProblem(p);
      }
      if (!o.ok && !o.error) bump(errByStatus, statusKey);
    }
    let ts = tags.get(tag);
    if (!ts) {
      ts = { count: 0, errors: 0, byStatus: {}, rec: new LatencyRecorder(3) };
      tags.set(tag, ts);
    }
    ts.count += 1;
    if (isError) ts.errors += 1;
    bump(ts.byStatus, statusKey);
    ts.rec.record(latencyMs);
    const b = bucket(Math.floor(due / 1000));
    b.completed += 1;
    if (isError) b.errors += 1;
    if (o.status === 429) b.throttled += 1;
    if (o.status >= 200 && o.status < 300) b.accepted += 1;
    b.rec.record(latencyMs);
    if (band) {
      bands[band].requests += 1;
      if (o.status === 429) bands[band].throttled += 1;
    }
    if (inFlight === 0 && onDrained) onDrained();
  };

  const fire = (i: number, due: number, now: number): void => {
    scheduled += 1;
    const b = bucket(Math.floor(due / 1000));
    b.offered += 1;
    if (inFlight >= plan.maxInFlight) {
      dropped += 1;
      b.dropped += 1;
      return;
    }
    inFlight += 1;
    started += 1;
    b.started += 1;
    lag.record(Math.max(0, now - due));
    if (firstStart === undefined) firstStart = now;
    lastStart = now;
    const band = throttle ? throttleBand(rateAt(plan.startRate, plan.stages, due), throttle) : undefined;
    let p: Promise<Outcome>;
    try {
      p = deps.request(i);
    } catch (e) {
      p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    p.then(
      (o) => complete(o, due, now, band),
      (e: unknown) => complete({ status: 0, ok: false, error: describeError(e) }, due, now, band),
    );
  };

  let i = 0;
  let burst = 0;
  while (!deps.signal?.aborted) {
    const due = schedule.at(i);
    if (due === undefined) break;
    const now = elapsed();
    if (due > now) {
      maybeProgress(now);
      burst = 0;
      await clock.waitUntil(t0 + due);
      continue;
    }
    fire(i, due, now);
    i += 1;
    burst += 1;
    if (burst >= BURST_LIMIT) {
      // Far behind schedule: let responses be processed rather than starving them.
      burst = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  // The schedule is over: give what is in flight its graceful stop, in short waits so no long
  // timer outlives the run.
  const deadline = elapsed() + graceMs;
  while (inFlight > 0 && elapsed() < deadline) {
    const drained = new Promise<void>((r) => {
      onDrained = r;
    });
    await Promise.race([drained, clock.waitUntil(t0 + Math.min(deadline, elapsed() + 100))]);
    maybeProgress(elapsed());
  }
  onDrained = undefined;
  const interrupted = inFlight;
  closed = true;
  errors += interrupted;
  if (interrupted > 0) bump(transport, 'still running at the end of the graceful stop', interrupted);
  const durationMs = elapsed();
  deps.onProgress?.(progress(durationMs));

  const plannedFirst = schedule.at(0) ?? 0;
  const plannedLast = schedule.at(schedule.count - 1) ?? plannedFirst;
  const meanPlannedRate =
    schedule.count >= 2 && plannedLast > plannedFirst
      ? (schedule.count - 1) / ((plannedLast - plannedFirst) / 1000)
      : schedule.count / Math.max(schedule.durationMs / 1000, 1e-9);
  const achievedRate =
    started >= 2 && firstStart !== undefined && lastStart > firstStart
      ? (started - 1) / ((lastStart - firstStart) / 1000)
      : started / Math.max(schedule.durationMs / 1000, 1e-9);

  const deadlineReport = answers?.report();
  const endpoints: EndpointStats[] = [...tags.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([tag, s]) => {
      const slow = deadlineReport?.slowest.find((d) => d.endpoint === tag);
      return {
        tag,
        count: s.count,
        errors: s.errors,
        latency: s.rec.summary(),
        byStatus: s.byStatus,
        ...(slow ? { slowest: { ms: slow.latencyMs, status: slow.status } } : {}),
      };
    });

  const timeline: TimelinePoint[] = buckets.map((b, second) => ({
    second,
    offered: b.offered,
    started: b.started,
    dropped: b.dropped,
    completed: b.completed,
    errors: b.errors,
    throttled: b.throttled,
    accepted: b.accepted,
    p50: b.rec.percentile(50),
    p95: b.rec.percentile(95),
    max: b.rec.percentile(100),
  }));

  const denominator = completed + interrupted;
  const result: RunOutput = {
    plan: {
      name: plan.name,
      startRate: plan.startRate,
      stages: plan.stages.map((s) => ({ ...s })),
      maxInFlight: plan.maxInFlight,
      plannedArrivals: schedule.count,
      plannedDurationMs: schedule.durationMs,
      meanPlannedRate,
    },
    startedAt,
    durationMs,
    scheduled,
    started,
    completed,
    dropped,
    interrupted,
    achievedRate,
    latency: latency.summary(),
    serviceTime: service.summary(),
    scheduleLag: lag.summary(),
    errors: {
      total: errors,
      rate: denominator > 0 ? errors / denominator : 0,
      byStatus: errByStatus,
      transport,
      verification: verificationErrors,
    },
    byStatus,
    endpoints,
    timeline,
    distribution: latency.distribution(),
    problemSamples: [...problems.entries()]
      .map(([problem, count]) => ({ problem, count }))
      .sort((a, b) => b.count - a.count),
    verdicts: [],
    pass: false,
    ...(throttle ? { throttle: bands } : {}),
    ...(deadlineReport ? { deadline: deadlineReport } : {}),
  };
  result.verdicts = evaluateThresholds(result, plan.thresholds);
  result.pass = result.verdicts.every((v) => v.pass);
  return result;
}
