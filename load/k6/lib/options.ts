/**
 * k6 `options` from a load profile: executor, rates, VUs and thresholds. Free of k6 modules (type
 * imports only), so the jest tests check the options against the profiles without k6 installed,
 * and the built-in runner and the k6 scripts enforce the same numbers.
 */
import type { Options, Scenario, Threshold } from 'k6/options';
import type { ApiKind, LoadProfile, ProfileOverrides, VerdictId } from '../../profile-data';

/** Custom metrics the scripts emit, named once so thresholds and summaries agree. */
export const K6_METRICS = {
  /** Rate of 429 among requests sent while the planned rate is below the throttle limit (must be 0). */
  throttledBelow: 'throttled_below_limit',
  /** Rate of 429 among requests sent while the planned rate is above the throttle limit (must be > 0). */
  throttledAbove: 'throttled_above_limit',
  batchesAcknowledged: 'records_batches_acknowledged',
  numbersAcknowledged: 'records_numbers_acknowledged',
  reconciliation: 'records_reconciliation_count',
} as const;

/**
 * A metric restricted to the requests of the profile's scenario: setup()'s token requests and
 * teardown()'s reconciliation call are not part of the load, and the built-in runner does not count
 * them either.
 */
export function inScenario(p: Pick<LoadProfile, 'name'>, metric: string, tags: Record<string, string> = {}): string {
  return `${metric}{${Object.entries({ scenario: p.name, ...tags })
    .map(([k, v]) => `${k}:${v}`)
    .join(',')}}`;
}

/** The endpoint tag of each request: the same tags the built-in runner reports by. */
export function endpointTags(p: LoadProfile): string[] {
  if (p.target === 'aggregator') return ['events'];
  if (p.target === 'records') return ['records'];
  const resources = p.mix.resources ?? { Appointment: 1 };
  return Object.entries(resources)
    .filter(([, w]) => typeof w === 'number' && w > 0)
    .map(([r]) => r);
}

type Env = Readonly<Record<string, string | undefined>>;

function num(env: Env, name: string, integer = false): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'}, got "${raw}"`);
  return v;
}

/** k6 duration text (`90s`, `2m`, `1m30s`, `1500ms`, or bare seconds) -> milliseconds. */
export function parseK6Duration(name: string, raw: string): number {
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') throw new Error(`${name} must be a duration like 30s, 2m, 1m30s or 500ms, got "${raw}"`);
  return (
    Number(m[1] ?? 0) * 3_600_000 +
    Number(m[2] ?? 0) * 60_000 +
    Math.round(Number(m[3] ?? 0) * 1000) +
    Number(m[4] ?? 0)
  );
}

const API_KINDS: readonly ApiKind[] = ['supplier', 'aggregator', 'records'];

/** Profile overrides from the k6 environment: RATE, DURATION, P95_MS, MAX_VUS, BATCH_SIZE and API. */
export function overridesFromEnv(env: Env): ProfileOverrides {
  const o: ProfileOverrides = {};
  const rate = num(env, 'RATE');
  if (rate !== undefined) o.rate = rate;
  if (env.DURATION) o.durationMs = parseK6Duration('DURATION', env.DURATION);
  const p95 = num(env, 'P95_MS');
  if (p95 !== undefined) o.p95Ms = p95;
  const vus = num(env, 'MAX_VUS', true);
  if (vus !== undefined) o.maxInFlight = vus;
  const batch = num(env, 'BATCH_SIZE', true);
  if (batch !== undefined) o.batchSize = batch;
  if (env.API) {
    if (!API_KINDS.includes(env.API as ApiKind))
      throw new Error(`API must be one of ${API_KINDS.join(', ')}, got "${env.API}"`);
    o.api = env.API as ApiKind;
  }
  return o;
}

function stagesOf(p: LoadProfile): Array<{ durationMs: number; toRate: number }> {
  return p.ramp && p.ramp.length > 0 ? p.ramp : [{ durationMs: p.durationMs, toRate: p.rate }];
}

/**
 * VUs to start with: enough for the peak rate at twice the latency budget (at least a second), so k6
 * need not add VUs mid-run even when the target is slow. A VU added mid-run takes time to start,
 * and an arrival that finds none free is dropped: the rate verdict would then fail for k6's sake.
 */
export function preAllocatedVUs(p: LoadProfile): number {
  const peak = Math.max(p.rate, ...stagesOf(p).map((s) => s.toRate));
  return Math.min(p.maxInFlight, Math.ceil(peak * Math.max((2 * p.thresholds.p95Ms) / 1000, 1)) + 5);
}

export function scenarioFor(p: LoadProfile): Scenario {
  const common = { preAllocatedVUs: preAllocatedVUs(p), maxVUs: p.maxInFlight, tags: { profile: p.name } };
  if (p.ramp && p.ramp.length > 0) {
    return {
      executor: 'ramping-arrival-rate',
      startRate: p.rate,
      timeUnit: '1s',
      stages: p.ramp.map((s) => ({ duration: `${s.durationMs}ms`, target: s.toRate })),
      ...common,
    };
  }
  return { executor: 'constant-arrival-rate', rate: p.rate, timeUnit: '1s', duration: `${p.durationMs}ms`, ...common };
}

/**
 * The thresholds: the pass/fail contract, the same numbers the built-in runner's verdicts use. Every
 * profile also needs at least one successful request (an acknowledged batch for records): a run that
 * sent nothing, or whose every request failed, cannot pass.
 */
export function thresholdsFor(p: LoadProfile, verify: boolean): Record<string, Threshold[]> {
  const t = p.thresholds;
  const p95 = `p(95)<=${t.p95Ms}`;
  const out: Record<string, Threshold[]> = {
    [inScenario(p, 'http_req_duration')]: [p95],
    [inScenario(p, 'http_req_failed')]: [t.maxErrorRate === 0 ? 'rate==0' : `rate<${t.maxErrorRate}`],
    // Nothing succeeded, nothing passes: a run that sent nothing or got only failures fails here.
    ...(p.target === 'records'
      ? { [K6_METRICS.batchesAcknowledged]: ['count>0'] }
      : { [inScenario(p, 'http_reqs', { expected_response: 'true' })]: ['count>0'] }),
    // The arrival rate is only held when no iteration was dropped for want of a VU.
    dropped_iterations: ['count==0'],
  };
  // As the built-in runner does: a per-endpoint budget only where a run spreads over endpoints.
  const tags = endpointTags(p);
  if (t.perEndpoint && tags.length > 1)
    for (const tag of tags) out[inScenario(p, 'http_req_duration', { endpoint: tag })] = [p95];
  if (verify) out.checks = [t.maxErrorRate === 0 ? 'rate==1' : `rate>${1 - t.maxErrorRate}`];
  if (t.throttle) {
    out[K6_METRICS.throttledBelow] = ['rate==0'];
    out[K6_METRICS.throttledAbove] = ['rate>0'];
  }
  return out;
}

/**
 * The built-in runner's verdict a k6 threshold belongs to, by metric name: k6's JUnit writes one
 * test case per verdict (failing when any of its thresholds failed), named as the runner names it.
 */
export function verdictOfMetric(metric: string): VerdictId | undefined {
  const m = /^([a-z0-9_]+)(?:\{([^}]*)\})?$/.exec(metric);
  if (!m) return undefined;
  const [, name, tagText] = m;
  const tags = Object.fromEntries(
    (tagText ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf(':')), kv.slice(kv.indexOf(':') + 1)]),
  ) as Record<string, string | undefined>;
  if (name === 'http_req_duration') return tags.endpoint ? `p95:${tags.endpoint}` : 'p95';
  if (name === 'http_req_failed' || name === 'checks' || name === K6_METRICS.batchesAcknowledged) return 'errors';
  if (name === 'http_reqs' && tags.expected_response === 'true') return 'errors';
  if (name === 'dropped_iterations') return 'rate';
  if (name === K6_METRICS.throttledBelow) return 'throttle-below';
  if (name === K6_METRICS.throttledAbove) return 'throttle-above';
  return undefined;
}

export function k6Options(p: LoadProfile, settings: { verify: boolean }): Options {
  return {
    scenarios: { [p.name]: scenarioFor(p) },
    thresholds: thresholdsFor(p, settings.verify),
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    // Bodies are read only to verify content or count acknowledged Record Service batches.
    discardResponseBodies: !settings.verify && p.target !== 'records',
    setupTimeout: '120s',
    tags: { api: p.target },
  };
}
