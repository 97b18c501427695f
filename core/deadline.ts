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
