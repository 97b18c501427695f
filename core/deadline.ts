/**
 * producer:WF-NFR-02, "each API must respond with a HTTP 504 'Gateway Timeout' after 9,000 ms": the
 * deadline a supplier keeps, and the rule the harness applies to every answer it gets. The harness's
 * own client timeout sits above the deadline, so a late answer arrives and is named rather than cut
 * off by the harness itself.
 */
export const PRODUCER_DEADLINE_MS = 9_000;
export const CLIENT_TIMEOUT_MS = 12_000;

export interface TimedAnswer {
  status: number;
  latencyMs: number;
  /** Whether the body is a FHIR OperationOutcome. */
  operationOutcome: boolean;
}

/** What is wrong with an answer under WF-NFR-02, or undefined when nothing is. */
export function deadlineProblem(a: TimedAnswer, deadlineMs = PRODUCER_DEADLINE_MS): string | undefined {
  if (a.latencyMs <= deadlineMs) return undefined;
  const after = `after ${Math.round(a.latencyMs).toLocaleString('en-GB')} ms`;
  if (a.status !== 504)
    return `HTTP ${a.status} ${after}: past ${deadlineMs.toLocaleString('en-GB')} ms the answer must be 504`;
  if (!a.operationOutcome) return `HTTP 504 ${after} without an OperationOutcome body`;
  return undefined;
}

/** One late answer that breaks WF-NFR-02, named for a report. */
export interface LateAnswer {
  endpoint: string;
  /** What was asked (a patient's masked label, a request tag); never an unmasked NHS number. */
  label: string;
  status: number;
  latencyMs: number;
  problem: string;
}

/** The slowest answer one endpoint gave during a run. */
export interface SlowestAnswer {
  endpoint: string;
  status: number;
  latencyMs: number;
  /** Answers timed at this endpoint. */
  answers: number;
  /** Of those, late answers that break the rule. */
  late: number;
}

export interface DeadlineReport {
  deadlineMs: number;
  clientTimeoutMs: number;
  /** Every late answer that is not a 504 with an OperationOutcome (capped at `maxLate`; `lateCount` counts all). */
  late: LateAnswer[];
  lateCount: number;
  slowest: SlowestAnswer[];
}

/**
 * Passive WF-NFR-02 observation for a stream of answers (replay's pulls, load's requests): judges each
 * with `deadlineProblem` and keeps the slowest answer per endpoint. Latencies are whatever the caller
 * measured, so tests feed it figures rather than waiting.
 */
export class DeadlineObserver {
  private readonly lateAnswers: LateAnswer[] = [];
  private lateTotal = 0;
  private readonly slow = new Map<string, SlowestAnswer>();

  constructor(
    private readonly deadlineMs = PRODUCER_DEADLINE_MS,
    private readonly maxLate = 20,
  ) {}

  /** Records one answer; returns the problem when it breaks the rule. */
  observe(endpoint: string, label: string, a: TimedAnswer): string | undefined {
    let s = this.slow.get(endpoint);
    if (!s) {
      s = { endpoint, status: a.status, latencyMs: a.latencyMs, answers: 0, late: 0 };
      this.slow.set(endpoint, s);
    }
    s.answers += 1;
    if (a.latencyMs > s.latencyMs) Object.assign(s, { status: a.status, latencyMs: a.latencyMs });
    const problem = deadlineProblem(a, this.deadlineMs);
    if (problem) {
      this.lateTotal += 1;
      s.late += 1;
      if (this.lateAnswers.length < this.maxLate)
        this.lateAnswers.push({ endpoint, label, status: a.status, latencyMs: a.latencyMs, problem });
    }
    return problem;
  }

  report(): DeadlineReport {
    return {
      deadlineMs: this.deadlineMs,
      clientTimeoutMs: CLIENT_TIMEOUT_MS,
      late: [...this.lateAnswers],
      lateCount: this.lateTotal,
      slowest: [...this.slow.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint)).map((s) => ({ ...s })),
    };
  }
}

/** "Appointment 9,400 ms (HTTP 504); Task 120 ms (HTTP 200)": the slowest answer per endpoint, for a report line. */
export function slowestLine(slowest: SlowestAnswer[]): string {
  if (slowest.length === 0) return 'no answer timed';
  return slowest
    .map((s) => `${s.endpoint} ${Math.round(s.latencyMs).toLocaleString('en-GB')} ms (HTTP ${s.status})`)
    .join('; ');
}
