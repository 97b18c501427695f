import { CLIENT_TIMEOUT_MS, DeadlineObserver, deadlineProblem, PRODUCER_DEADLINE_MS, slowestLine } from './deadline';

describe('producer:WF-NFR-02 deadline', () => {
  it('keeps the harness client timeout above the producer deadline', () => {
    expect(CLIENT_TIMEOUT_MS).toBeGreaterThan(PRODUCER_DEADLINE_MS);
  });

  it('accepts anything in time and a late 504 with an OperationOutcome; names a late 200 and a bare 504', () => {
    expect(deadlineProblem({ status: 200, latencyMs: 9_000, operationOutcome: false })).toBeUndefined();
    expect(deadlineProblem({ status: 504, latencyMs: 9_400, operationOutcome: true })).toBeUndefined();
    expect(deadlineProblem({ status: 200, latencyMs: 10_250, operationOutcome: false })).toMatch(
      /^HTTP 200 after 10,250 ms: past 9,000 ms the answer must be 504$/,
    );
    expect(deadlineProblem({ status: 504, latencyMs: 9_100, operationOutcome: false })).toMatch(
      /without an OperationOutcome/,
    );
  });

  it('counts late answers per endpoint and keeps the slowest answer of each', () => {
    const o = new DeadlineObserver(PRODUCER_DEADLINE_MS, 1);
    expect(
      o.observe('Appointment /Appointment', 'patient 1', { status: 200, latencyMs: 120, operationOutcome: false }),
    ).toBeUndefined();
    expect(
      o.observe('Appointment /Appointment', 'patient 2', { status: 200, latencyMs: 9_500, operationOutcome: false }),
    ).toMatch(/HTTP 200/);
    expect(
      o.observe('Task /Task', 'patient 1', { status: 504, latencyMs: 9_300, operationOutcome: true }),
    ).toBeUndefined();
    expect(o.observe('Task /Task', 'patient 2', { status: 200, latencyMs: 9_900, operationOutcome: false })).toMatch(
      /HTTP 200/,
    );
    const r = o.report();
    expect(r.lateCount).toBe(2);
    // The list is capped; the count and the per-endpoint tally are not.
    expect(r.late).toEqual([
      expect.objectContaining({ endpoint: 'Appointment /Appointment', label: 'patient 2', status: 200 }),
    ]);
    expect(r.slowest).toEqual([
      { endpoint: 'Appointment /Appointment', status: 200, latencyMs: 9_500, answers: 2, late: 1 },
      { endpoint: 'Task /Task', status: 200, latencyMs: 9_900, answers: 2, late: 1 },
    ]);
    expect(slowestLine(r.slowest)).toBe('Appointment /Appointment 9,500 ms (HTTP 200); Task /Task 9,900 ms (HTTP 200)');
    expect(slowestLine([])).toBe('no answer timed');
  });
});
