/**
 * Threshold verdicts: the pass/fail contract of a run. A slow P95, too many errors, a rate the
 * run could not hold, wrong content under load and a throttle that does not throttle all fail
 * the run the same way.
 */
import { formatPercent as pct, VERDICT_TITLES, type ThrottleExpectation } from '../profile-data';
import { slowestLine } from '../../core/deadline';
import type { LoadResult, PlanThresholds, ThrottleCounts, ThresholdVerdict } from './types';

const ms = (v: number): string => `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;

export function evaluateThresholds(
  r: LoadResult & { throttle?: ThrottleCounts },
  t: PlanThresholds,
): ThresholdVerdict[] {
  const out: ThresholdVerdict[] = [];
  const req = t.requirements?.join(', ');

  if (t.p95Ms !== undefined) {
    const n = r.latency.count;
    out.push({
      id: 'p95',
      title: VERDICT_TITLES.p95(t.p95Ms),
      requirement: req,
      expected: `p95 <= ${t.p95Ms} ms`,
      observed:
        n === 0
          ? 'no responses to measure'
          : `p95 = ${ms(r.latency.p95)} over ${n} requests (measured from the scheduled start)`,
      pass: n > 0 && r.latency.p95 <= t.p95Ms,
    });
    if (t.perEndpoint && r.endpoints.length > 1) {
      for (const e of r.endpoints) {
        out.push({
          id: `p95:${e.tag}`,
          title: VERDICT_TITLES.p95Endpoint(e.tag, t.p95Ms),
          requirement: req,
          expected: `p95 <= ${t.p95Ms} ms`,
          observed: `p95 = ${ms(e.latency.p95)} over ${e.count} requests`,
          pass: e.count > 0 && e.latency.p95 <= t.p95Ms,
        });
      }
    }
  }

  if (t.maxErrorRate !== undefined) {
    const n = r.completed + r.interrupted;
    const none = t.maxErrorRate === 0;
    out.push({
      id: 'errors',
      title: VERDICT_TITLES.errors(t.maxErrorRate),
      requirement: req,
      expected: none ? 'errors = 0' : `error rate < ${pct(t.maxErrorRate)}`,
      observed: `${r.errors.total} of ${n} (${pct(r.errors.rate)})${r.errors.verification ? `, ${r.errors.verification} with wrong content` : ''}`,
      pass: n > 0 && (none ? r.errors.total === 0 : r.errors.rate < t.maxErrorRate),
    });
  }

  if (t.minRateRatio !== undefined) {
    const want = r.plan.meanPlannedRate * t.minRateRatio;
    out.push({
      id: 'rate',
      title: VERDICT_TITLES.rate(t.minRateRatio),
      expected: `>= ${want.toFixed(2)} req/s (plan ${r.plan.meanPlannedRate.toFixed(2)} req/s)`,
      observed: `${r.achievedRate.toFixed(2)} req/s${r.dropped ? `, ${r.dropped} arrivals dropped at the in-flight limit of ${r.plan.maxInFlight}` : ''}`,
      pass: r.achievedRate >= want && r.dropped === 0,
    });
  }

  if (t.deadlineMs !== undefined && r.deadline) {
    const d = r.deadline;
    const first = d.late[0];
    out.push({
      id: 'deadline',
      title: `Answers after ${d.deadlineMs.toLocaleString('en-GB')} ms are 504 with an OperationOutcome`,
      requirement: 'producer:WF-NFR-02',
      expected: `late non-504 answers = 0 (the client waits ${d.clientTimeoutMs.toLocaleString('en-GB')} ms)`,
      observed: `${d.lateCount} late answer(s) not a 504 with an OperationOutcome${first ? ` (first: ${first.endpoint}, ${first.problem})` : ''}; slowest: ${slowestLine(d.slowest)}`,
      pass: d.lateCount === 0,
    });
  }

  if (t.throttle && r.throttle) out.push(...throttleVerdicts(r, r.throttle, t.throttle));
  return out;
}

function throttleVerdicts(r: LoadResult, c: ThrottleCounts, t: ThrottleExpectation): ThresholdVerdict[] {
  const high = t.limitTps * (1 + t.tolerance);
  // Whole seconds offered above the band: the target must not accept much more than its limit.
  const overSeconds = r.timeline.filter((p) => p.offered >= high);
  const maxAccepted = overSeconds.reduce((m, p) => Math.max(m, p.accepted), 0);
  return [
    {
      id: 'throttle-below',
      title: VERDICT_TITLES.throttleBelow(t),
      requirement: 'WF-NFR-03',
      expected: '429 count = 0 below the limit',
      observed:
        c.below.requests === 0
          ? 'the run never went below the limit'
          : `${c.below.throttled} of ${c.below.requests} answered 429`,
      pass: c.below.requests > 0 && c.below.throttled === 0,
    },
    {
      id: 'throttle-above',
      title: VERDICT_TITLES.throttleAbove(t),
      requirement: 'WF-NFR-03',
      expected: `some 429 above the limit, and at most ${high.toFixed(0)} accepted in any second offered more`,
      observed:
        c.above.requests === 0
          ? `the run never went past ${high.toFixed(0)} TPS`
          : `${c.above.throttled} of ${c.above.requests} answered 429; at most ${maxAccepted} accepted in a second (${overSeconds.length} seconds above)`,
      pass: c.above.requests > 0 && c.above.throttled > 0 && maxAccepted <= Math.ceil(high),
    },
  ];
}
