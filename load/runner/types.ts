/**
 * The runner core's vocabulary. The core knows nothing about HTTP, profiles or the CLI: it starts
 * `request(i)` on schedule and measures what comes back.
 */
import type { DeadlineReport } from '../../core/deadline';
import type { DistributionBin, LatencySummary } from '../../core/latency';
import type { RateStage, ThrottleExpectation } from '../profile-data';

export type { DistributionBin, LatencySummary };

export interface LoadPlan {
  name: string;
  /** Arrivals per second at the start. */
  startRate: number;
  /** Rate stages (a constant run is one stage to the same rate). */
  stages: RateStage[];
  /** Most requests in flight at once; a scheduled arrival that finds the limit reached is dropped. */
  maxInFlight: number;
  thresholds: PlanThresholds;
  /** How long to wait for requests still running when the schedule ends (default 30 s). */
  gracefulStopMs?: number;
  /** How often onProgress is called, in runner time (default 1 s). */
  progressIntervalMs?: number;
}

export interface PlanThresholds {
  p95Ms?: number;
  maxErrorRate?: number;
  minRateRatio?: number;
  perEndpoint?: boolean;
  throttle?: ThrottleExpectation;
  /**
   * producer:WF-NFR-02: the deadline the target keeps (supplier targets). Every answer's service time
   * is judged with core/deadline.ts `deadlineProblem`; a late answer that is not a 504 with an
   * OperationOutcome fails the `deadline` verdict.
   */
  deadlineMs?: number;
  /** Where the thresholds come from, shown beside each verdict. */
  requirements?: string[];
}

/** What one request came to. */
export interface Outcome {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** Endpoint tag: latencies and errors are also reported per tag. */
  tag?: string;
  /** The status is one this request expects (200 for an eligible patient, 403 for an under-16...). */
  ok: boolean;
  /** Transport failure: connection refused, reset, timed out. */
  error?: string;
  /**
   * Content checks run after the response is timed, so validation cost never shows up as
   * latency. Returns problems; any problem makes the request an error.
   */
  verify?: () => string[];
  /** The body is a FHIR OperationOutcome (the requester only looks for a 504, the one status the deadline rule reads it for). */
  operationOutcome?: boolean;
}

export type RequestFn = (i: number) => Promise<Outcome>;

/** Monotonic milliseconds plus a way to wait for a moment; injected so tests can use virtual time. */
export interface RunnerClock {
  now(): number;
  /** Resolves at (or as soon as possible after) the monotonic instant `at`. */
  waitUntil(at: number): Promise<void>;
}

export interface Progress {
  elapsedMs: number;
  plannedMs: number;
  scheduled: number;
  started: number;
  completed: number;
  inFlight: number;
  dropped: number;
  errors: number;
  /** Requests started per second so far. */
  achievedRate: number;
  p95SoFarMs: number;
}

export interface RunDeps {
  request: RequestFn;
  clock?: RunnerClock;
  onProgress?: (p: Progress) => void;
  /** Stops scheduling new arrivals; what is in flight still completes. */
  signal?: AbortSignal;
}

export interface EndpointStats {
  tag: string;
  count: number;
  errors: number;
  latency: LatencySummary;
  byStatus: Record<string, number>;
  /** The slowest answer's service time and status, when the plan observes a deadline. */
  slowest?: { ms: number; status: number };
}

/** One second of the run, by scheduled start time. */
export interface TimelinePoint {
  second: number;
  /** Planned arrivals in this second (the offered rate). */
  offered: number;
  started: number;
  dropped: number;
  completed: number;
  errors: number;
  throttled: number;
  accepted: number;
  p50: number;
  p95: number;
  max: number;
}

export interface ThresholdVerdict {
  id: string;
  title: string;
  requirement?: string;
  expected: string;
  observed: string;
  pass: boolean;
}

export interface LoadResult {
  plan: {
    name: string;
    startRate: number;
    stages: RateStage[];
    maxInFlight: number;
    plannedArrivals: number;
    plannedDurationMs: number;
    meanPlannedRate: number;
  };
  startedAt: string;
  durationMs: number;
  scheduled: number;
  started: number;
  completed: number;
  dropped: number;
  /** Still running when the graceful stop ran out; counted as errors. */
  interrupted: number;
  /** Requests started per second, measured from the first to the last start. */
  achievedRate: number;
  /** Latency from the scheduled start to the end of the response: what a caller on that schedule sees. */
  latency: LatencySummary;
  /** From the actual start of the request to its end. */
  serviceTime: LatencySummary;
  /** How late each request started against its schedule. */
  scheduleLag: LatencySummary;
  errors: {
    total: number;
    rate: number;
    byStatus: Record<string, number>;
    transport: Record<string, number>;
    verification: number;
  };
  byStatus: Record<string, number>;
  endpoints: EndpointStats[];
  timeline: TimelinePoint[];
  distribution: DistributionBin[];
  /** Up to 20 distinct problems found by verification or the transport, with how often each occurred. */
  problemSamples: Array<{ problem: string; count: number }>;
  verdicts: ThresholdVerdict[];
  pass: boolean;
  /** producer:WF-NFR-02 observed on every answer (plans with `thresholds.deadlineMs`): late non-504 answers, slowest per endpoint. */
  deadline?: DeadlineReport;
}

/** Requests and 429s in the bands below, near and above the throttle limit. */
export interface ThrottleCounts {
  below: { requests: number; throttled: number };
  near: { requests: number; throttled: number };
  above: { requests: number; throttled: number };
}
