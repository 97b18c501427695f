/**
 * Load profiles: the one source of truth for the built-in runner (load/profiles.ts) and the k6
 * scripts (load/k6/*.ts). This module is a leaf on purpose: no imports at all, so k6 can load it
 * as it is (`import ... from '../profile-data.ts'`) and Node can require it unchanged.
 *
 * Budgets come from the specifications:
 * - producer WF-NFR-01 and each endpoint's "Capacity and response times": 400 ms at P95, 25 TPS;
 * - consumer WF-NFR-01: appointments within 1,000 ms at P95;
 * - producer and consumer WF-NFR-03: 429 Too Many Requests at 60 TPS;
 * - this project's brief: 1,000 ms P95 at 25 TPS unless a stricter profile is chosen.
 */

/** Which API a profile drives. */
export type ApiKind = 'supplier' | 'aggregator' | 'records';

/** The producer endpoints a supplier exposes (the same names as core/fhir ProducerResourceType). */
export type SupplierResource = 'Appointment' | 'DocumentReference' | 'Task';

export const SUPPLIER_RESOURCES: readonly SupplierResource[] = ['Appointment', 'DocumentReference', 'Task'];

/** Default endpoint paths; the standard lets a supplier choose others (prefix them in --target). */
export const API_PATHS: {
  readonly supplier: Readonly<Record<SupplierResource, string>>;
  readonly aggregator: string;
  readonly records: string;
} = {
  supplier: { Appointment: '/Appointment', DocumentReference: '/DocumentReference', Task: '/Task' },
  aggregator: '/aggregator/events',
  records: '/records',
};

/** Defaults of the local stack (`pca-harness serve` and `pca-harness supplier`). */
export const LOCAL_DEFAULTS = {
  platformUrl: 'http://127.0.0.1:7070',
  supplierUrl: 'http://127.0.0.1:7171',
  /** The reference supplier's own token endpoint and the client the PCA uses against it. */
  supplierTokenPath: '/oauth2/token',
  supplierClientId: 'pca-aggregator',
  supplierClientSecret: 'pca-harness-local-secret',
} as const;

/** One leg of an arrival-rate ramp: the rate moves linearly from where it was to `toRate`. */
export interface RateStage {
  durationMs: number;
  /** Arrivals per second at the end of the stage. */
  toRate: number;
}

/** Which pack patients a run draws, by weight. Under-16s expect 403 (producer/consumer WF-NFR-16). */
export interface PatientMix {
  eligible: number;
  under16?: number;
  /** Supplier runs only: how requests spread over the producer endpoints. */
  resources?: Partial<Record<SupplierResource, number>>;
}

export interface ThrottleExpectation {
  /** The rate at which the target must start answering 429 (WF-NFR-03: 60 TPS). */
  limitTps: number;
  /**
   * Fraction either side of the limit where either answer is accepted: limiters count in windows
   * that do not line up with ours, so "below" means at most limit*(1-tolerance) and "above" at
   * least limit*(1+tolerance).
   */
  tolerance: number;
}

export interface ProfileThresholds {
  /** P95 latency budget, measured from each request's scheduled start. */
  p95Ms: number;
  /** Highest share of requests that may fail (transport error, unexpected status, wrong content). */
  maxErrorRate: number;
  /** The achieved arrival rate must reach this share of the planned rate. */
  minRateRatio: number;
  /** Apply the P95 budget to each endpoint tag as well as to the whole run. */
  perEndpoint: boolean;
  throttle?: ThrottleExpectation;
}

export interface LoadProfile {
  name: string;
  title: string;
  /** Requirement ids the thresholds enforce, e.g. "producer WF-NFR-01". */
  requirements: string[];
  target: ApiKind;
  /** Arrivals per second (the starting rate when there is a ramp). */
  rate: number;
  /** Length of the run at `rate`; ignored when `ramp` is given (its stages set the length). */
  durationMs: number;
  ramp?: RateStage[];
  mix: PatientMix;
  thresholds: ProfileThresholds;
  /** Statuses that are not errors whatever the patient (e.g. 429 while probing the throttle). */
  alsoAccept?: number[];
  /** Records runs: NHS numbers per POST /records (200 in INT, 5,000 in production). */
  batchSize?: number;
  /** Most requests in flight at once; arrivals beyond it are dropped and counted. */
  maxInFlight: number;
}

export const DEFAULT_PROFILE_NAME = 'default';

const BASE_THRESHOLDS: ProfileThresholds = { p95Ms: 1000, maxErrorRate: 0.01, minRateRatio: 0.95, perEndpoint: true };

export const PROFILES: Readonly<Record<string, LoadProfile>> = {
  default: {
    name: 'default',
    title: 'Supplier endpoint at 25 TPS within the project budget of 1,000 ms P95',
    requirements: ['pca-harness brief: 25 TPS, P95 <= 1,000 ms'],
    target: 'supplier',
    rate: 25,
    durationMs: 60_000,
    mix: { eligible: 1, resources: { Appointment: 1 } },
    thresholds: { ...BASE_THRESHOLDS },
    maxInFlight: 200,
  },
  'supplier-standard': {
    name: 'supplier-standard',
    title: 'Supplier endpoint at 25 TPS within 400 ms P95 (producer standard)',
    requirements: ['producer WF-NFR-01', 'producer "Capacity and response times"'],
    target: 'supplier',
    rate: 25,
    durationMs: 60_000,
    mix: { eligible: 1, resources: { Appointment: 1 } },
    thresholds: { ...BASE_THRESHOLDS, p95Ms: 400 },
    maxInFlight: 200,
  },
  aggregator: {
    name: 'aggregator',
    title: 'Aggregator consumer API (/aggregator/events) at 25 TPS within 1,000 ms P95',
    requirements: ['consumer WF-NFR-01', 'consumer WF-NFR-16'],
    target: 'aggregator',
    rate: 25,
    durationMs: 60_000,
    mix: { eligible: 0.95, under16: 0.05 },
    thresholds: { ...BASE_THRESHOLDS },
    maxInFlight: 200,
  },
  'aggregator-waiting-times': {
    name: 'aggregator-waiting-times',
    title:
      'Aggregator consumer API with waiting lists at 25 TPS within 600 ms P95 (wait times; appointments and referrals 1,000 ms)',
    // The mock answers wait times, appointments and referrals in one /aggregator/events response, so
    // the stricter budget (wait times, 600 ms) applies to every request; 1,000 ms is the `aggregator` profile.
    requirements: ['consumer:WF-NFR-01'],
    target: 'aggregator',
    rate: 25,
    durationMs: 60_000,
    mix: { eligible: 1 },
    thresholds: { ...BASE_THRESHOLDS, p95Ms: 600 },
    maxInFlight: 200,
  },
  throttle: {
    name: 'throttle',
    title: 'Ramp from 30 to 90 TPS: 429 above 60 TPS, and nothing but 200 or 429',
    requirements: ['producer WF-NFR-03', 'consumer WF-NFR-03'],
    target: 'supplier',
    rate: 30,
    durationMs: 40_000,
    ramp: [
      { durationMs: 30_000, toRate: 90 },
      { durationMs: 10_000, toRate: 90 },
    ],
    mix: { eligible: 1, resources: { Appointment: 1 } },
    thresholds: { ...BASE_THRESHOLDS, maxErrorRate: 0, minRateRatio: 0.95, throttle: { limitTps: 60, tolerance: 0.1 } },
    alsoAccept: [429],
    maxInFlight: 400,
  },
  'records-bulk': {
    name: 'records-bulk',
    title: 'Record Service bulk upload: the pack in 200-number batches (5,000 in production)',
    requirements: ['record service WF-NFR-RS-03', 'record service WF-NFR-RS-05', 'record service WF-NFR-RS-09'],
    target: 'records',
    rate: 2,
    durationMs: 30_000,
    mix: { eligible: 1 },
    thresholds: { ...BASE_THRESHOLDS, perEndpoint: false },
    batchSize: 200,
    maxInFlight: 50,
  },
};

export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

/** The rate stages of a profile, the constant case included: [{ durationMs, toRate: rate }]. */
export function stagesOf(p: Pick<LoadProfile, 'rate' | 'durationMs' | 'ramp'>): RateStage[] {
  return p.ramp && p.ramp.length > 0 ? p.ramp.map((s) => ({ ...s })) : [{ durationMs: p.durationMs, toRate: p.rate }];
}

export function totalDurationMs(p: Pick<LoadProfile, 'rate' | 'durationMs' | 'ramp'>): number {
  return stagesOf(p).reduce((t, s) => t + s.durationMs, 0);
}

/** The planned arrival rate `atMs` after the start (linear within each stage). */
export function rateAt(startRate: number, stages: readonly RateStage[], atMs: number): number {
  let from = startRate;
  let t = atMs;
  for (const s of stages) {
    if (t < s.durationMs) return s.durationMs === 0 ? s.toRate : from + ((s.toRate - from) * t) / s.durationMs;
    t -= s.durationMs;
    from = s.toRate;
  }
  return from;
}

/** The highest planned rate of a profile. */
export function peakRate(p: Pick<LoadProfile, 'rate' | 'durationMs' | 'ramp'>): number {
  return Math.max(p.rate, ...stagesOf(p).map((s) => s.toRate));
}

/** Planned arrivals over a whole profile (the area under the rate curve). */
export function plannedArrivals(startRate: number, stages: readonly RateStage[]): number {
  let from = startRate;
  let n = 0;
  for (const s of stages) {
    n += ((from + s.toRate) / 2) * (s.durationMs / 1000);
    from = s.toRate;
  }
  return n;
}

export type ThrottleBand = 'below' | 'near' | 'above';

/** Where a planned rate sits against a throttle limit, with the tolerance either side. */
export function throttleBand(rate: number, t: ThrottleExpectation): ThrottleBand {
  if (rate <= t.limitTps * (1 - t.tolerance)) return 'below';
  if (rate >= t.limitTps * (1 + t.tolerance)) return 'above';
  return 'near';
}

/** Irrational steps for independent low-discrepancy sequences (golden ratio, sqrt 2, sqrt 3). */
const STREAM_STEPS = [0.6180339887498949, 0.41421356237309515, 0.7320508075688772];

/**
 * Deterministic weighted choice for iteration `i`: a low-discrepancy sequence spreads each choice
 * evenly through the run (a 5% share is every ~20th request, not 5 in a row), with no random
 * state to share between the runner's requests or k6's VUs. Use a different `stream` for each
 * independent choice (patient kind, endpoint) so they do not move in step.
 */
export function pickWeighted<K extends string>(
  i: number,
  weights: Partial<Record<K, number>>,
  stream = 0,
): K | undefined {
  const entries = (Object.entries(weights) as Array<[K, number | undefined]>).filter(
    (e): e is [K, number] => typeof e[1] === 'number' && e[1] > 0,
  );
  const total = entries.reduce((t, [, w]) => t + w, 0);
  if (total <= 0) return undefined;
  const step = STREAM_STEPS[stream % STREAM_STEPS.length]!;
  const x = ((i * step) % 1) * total;
  let acc = 0;
  for (const [k, w] of entries) {
    acc += w;
    if (x < acc) return k;
  }
  return entries[entries.length - 1]![0];
}

/** `60000` -> `"60s"`, `1500` -> `"1500ms"`: the duration strings k6 and the CLI read. */
export function formatDurationMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}

export interface ProfileOverrides {
  /** Arrivals per second (constant-rate profiles only). */
  rate?: number;
  durationMs?: number;
  p95Ms?: number;
  maxInFlight?: number;
  batchSize?: number;
  /** Drive another API than the profile's own (e.g. the throttle ramp against the aggregator). */
  api?: ApiKind;
}

/** The Record Service limit: 5,000 numbers per call in production (200 elsewhere). */
export const RECORDS_MAX_BATCH = 5000;

/** A deep copy, so overrides never touch PROFILES. */
export function copyProfile(p: LoadProfile): LoadProfile {
  return {
    ...p,
    requirements: [...p.requirements],
    ...(p.ramp ? { ramp: p.ramp.map((s) => ({ ...s })) } : {}),
    mix: { ...p.mix, ...(p.mix.resources ? { resources: { ...p.mix.resources } } : {}) },
    thresholds: { ...p.thresholds, ...(p.thresholds.throttle ? { throttle: { ...p.thresholds.throttle } } : {}) },
    ...(p.alsoAccept ? { alsoAccept: [...p.alsoAccept] } : {}),
  };
}

/**
 * A copy of `base` with overrides applied, the same for the CLI flags and the k6 environment.
 * Throws an Error naming the flag when an override is out of range or does not fit the profile.
 */
export function applyOverrides(base: LoadProfile, o: ProfileOverrides): LoadProfile {
  const p = copyProfile(base);
  if (o.api) p.target = o.api;
  if (o.rate !== undefined) {
    if (!(o.rate > 0 && o.rate <= 100_000))
      throw new Error(`--rate must be more than 0 and at most 100000 per second, got ${o.rate}`);
    if (p.ramp)
      throw new Error(
        `profile ${p.name} ramps from ${p.rate} to ${peakRate(p)} TPS, so --rate does not apply (use --duration to stretch the ramp)`,
      );
    p.rate = o.rate;
  }
  if (o.durationMs !== undefined) {
    if (!(o.durationMs > 0 && o.durationMs <= 24 * 3_600_000))
      throw new Error(`--duration must be more than 0 and at most 24h, got ${o.durationMs} ms`);
    if (p.ramp) {
      // Stretch or squeeze the ramp so its shape (and the rates it passes) stay the same.
      const scale = o.durationMs / totalDurationMs(p);
      p.ramp = p.ramp.map((s) => ({ ...s, durationMs: Math.round(s.durationMs * scale) }));
    }
    p.durationMs = o.durationMs;
  }
  if (o.p95Ms !== undefined) {
    if (!(o.p95Ms > 0)) throw new Error(`--p95 must be a number of milliseconds above 0, got ${o.p95Ms}`);
    p.thresholds.p95Ms = o.p95Ms;
  }
  if (o.maxInFlight !== undefined) {
    if (!(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1 && o.maxInFlight <= 10_000))
      throw new Error(`--max-in-flight must be a whole number from 1 to 10000, got ${o.maxInFlight}`);
    p.maxInFlight = o.maxInFlight;
  }
  if (o.batchSize !== undefined) {
    if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1 && o.batchSize <= RECORDS_MAX_BATCH)) {
      throw new Error(
        `--batch-size must be a whole number from 1 to ${RECORDS_MAX_BATCH} (the Record Service maximum), got ${o.batchSize}`,
      );
    }
    p.batchSize = o.batchSize;
  }
  if (p.target === 'records' && p.batchSize === undefined) p.batchSize = 200;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Patient mix: which pack patients a run uses and which one each request gets.

export type PatientKind = 'eligible' | 'under16';

/** Statuses each kind of patient must get (WF-NFR-16: under-16s are refused with 403). */
export const EXPECTED_STATUS: Readonly<Record<PatientKind, number>> = { eligible: 200, under16: 403 };

export interface MixedPatient<P> {
  patient: P;
  kind: PatientKind;
}

function weightOf(mix: PatientMix, kind: PatientKind): number {
  return kind === 'eligible' ? mix.eligible : (mix.under16 ?? 0);
}

/** The patients of a mix, in pack order, at most `maxPerKind` of each kind; `kindOf` says which kind (if any) a patient is. */
export function selectMix<P>(
  patients: readonly P[],
  kindOf: (p: P) => PatientKind | undefined,
  mix: PatientMix,
  maxPerKind: number,
): Array<MixedPatient<P>> {
  const counts: Record<PatientKind, number> = { eligible: 0, under16: 0 };
  const out: Array<MixedPatient<P>> = [];
  for (const patient of patients) {
    const kind = kindOf(patient);
    if (!kind || weightOf(mix, kind) <= 0 || counts[kind] >= maxPerKind) continue;
    counts[kind] += 1;
    out.push({ patient, kind });
  }
  return out;
}

/**
 * A picker for request `i`: the kind by weight (kinds with nobody in the pack weighted out), then
 * the patients of that kind in turn. Throws when the mix has nobody at all.
 */
export function mixPicker<M extends MixedPatient<unknown>>(selected: readonly M[], mix: PatientMix): (i: number) => M {
  const byKind: Record<PatientKind, M[]> = { eligible: [], under16: [] };
  for (const s of selected) byKind[s.kind].push(s);
  const weights: Partial<Record<PatientKind, number>> = {};
  for (const k of ['eligible', 'under16'] as const) {
    if (byKind[k].length > 0 && weightOf(mix, k) > 0) weights[k] = weightOf(mix, k);
  }
  if (Object.keys(weights).length === 0)
    throw new Error(
      "the pack has no patients for this profile's mix (it needs patients aged 16 or over who are not sensitive or excluded)",
    );
  return (i) => {
    const kind = pickWeighted(i, weights, 0)!;
    const list = byKind[kind];
    return list[i % list.length]!;
  };
}

/**
 * Which kind of patient a pack patient is on the day of the run: sensitive or trust-excluded
 * patients are in no mix (nothing may be sent for them); the rest are eligible or under 16.
 */
export function patientKind(
  under16: boolean,
  flags: { sensitive?: boolean; excludedByTrust?: boolean },
): PatientKind | undefined {
  if (flags.sensitive || flags.excludedByTrust) return undefined;
  return under16 ? 'under16' : 'eligible';
}

/** Seed of the synthetic numbers that top up a pack smaller than one Record Service batch. */
export const RECORDS_TOP_UP_SEED = 60401;

/**
 * Eligible NHS numbers in batches of `batchSize`. Fewer numbers than one batch are topped up with
 * `synthetic(count)` numbers (distinct from the pack's) so every call carries a full batch.
 */
export function recordBatches(
  eligible: readonly string[],
  batchSize: number,
  synthetic: (count: number) => string[],
): { numbers: string[]; batches: string[][] } {
  const numbers = [...eligible];
  if (numbers.length < batchSize) {
    const have = new Set(numbers);
    const extra = synthetic(batchSize + numbers.length).filter((n) => !have.has(n));
    numbers.push(...extra.slice(0, batchSize - numbers.length));
  }
  const batches: string[][] = [];
  for (let i = 0; i < numbers.length; i += batchSize) batches.push(numbers.slice(i, i + batchSize));
  return { numbers, batches };
}

/**
 * The threshold verdicts both engines judge a profile by, named once: the built-in runner's verdict
 * ids and titles (load/runner/thresholds.ts) and the JUnit test cases k6's handleSummary writes
 * (load/k6/lib/summary.ts), so the two engines' JUnit files carry the same test-case names.
 */
export type VerdictId = 'p95' | `p95:${string}` | 'errors' | 'rate' | 'throttle-below' | 'throttle-above';

/** 0.01 -> `1.00%`; shares below 0.1% keep a third decimal. */
export const formatPercent = (v: number): string => `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 2)}%`;

export const VERDICT_TITLES = {
  p95: (p95Ms: number): string => `P95 latency at most ${p95Ms} ms`,
  p95Endpoint: (tag: string, p95Ms: number): string => `P95 latency of ${tag} at most ${p95Ms} ms`,
  errors: (maxErrorRate: number): string =>
    maxErrorRate === 0 ? 'No errors' : `Errors below ${formatPercent(maxErrorRate)}`,
  rate: (minRateRatio: number): string => `Arrival rate held (at least ${Math.round(minRateRatio * 100)}% of plan)`,
  throttleBelow: (t: ThrottleExpectation): string =>
    `No 429 while the rate is at most ${(t.limitTps * (1 - t.tolerance)).toFixed(0)} TPS`,
  throttleAbove: (t: ThrottleExpectation): string =>
    `429 once the rate passes ${(t.limitTps * (1 + t.tolerance)).toFixed(0)} TPS`,
} as const;

/** The title of a verdict of this profile, or undefined when the profile has no such verdict. */
export function verdictTitle(p: Pick<LoadProfile, 'thresholds'>, id: VerdictId): string | undefined {
  const t = p.thresholds;
  if (id === 'p95') return VERDICT_TITLES.p95(t.p95Ms);
  if (id.startsWith('p95:')) return VERDICT_TITLES.p95Endpoint(id.slice(4), t.p95Ms);
  if (id === 'errors') return VERDICT_TITLES.errors(t.maxErrorRate);
  if (id === 'rate') return VERDICT_TITLES.rate(t.minRateRatio);
  if (!t.throttle) return undefined;
  return id === 'throttle-below' ? VERDICT_TITLES.throttleBelow(t.throttle) : VERDICT_TITLES.throttleAbove(t.throttle);
}

/** A verdict's JUnit test-case name, the same from the built-in runner and from k6. */
export function verdictCaseName(id: string, title: string): string {
  return `${id}: ${title}`;
}
