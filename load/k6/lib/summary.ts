/**
 * What `handleSummary` writes: one JUnit test case per k6 threshold, and a short text summary.
 * Free of k6 modules, so jest feeds it crafted summary data.
 */
import type { JUnitCase, JUnitSuite } from '../../../suites/report/junit';

/** The parts of k6's end-of-test summary data these functions read. */
export interface K6Metric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Check {
  name: string;
  passes: number;
  fails: number;
}

export interface K6Group {
  name?: string;
  checks?: K6Check[];
  groups?: K6Group[];
}

export interface K6SummaryData {
  metrics: Record<string, K6Metric>;
  root_group?: K6Group;
  state?: { testRunDurationMs?: number };
}

export interface ThresholdResult {
  /** e.g. `http_req_duration{endpoint:Appointment}`. */
  metric: string;
  /** e.g. `p(95)<=400`. */
  expression: string;
  ok: boolean;
  /** The value the expression was judged on, when the summary has it. */
  observed?: number;
}

/** `p(95)<=400` -> `p(95)`; `rate<0.01` -> `rate`. */
export function aggregationOf(expression: string): string | undefined {
  const m = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(?:<=|>=|==|!=|<|>)/.exec(expression);
  return m?.[1];
}

export function thresholdResults(data: K6SummaryData): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const m = data.metrics[name]!;
    for (const [expression, r] of Object.entries(m.thresholds ?? {})) {
      const agg = aggregationOf(expression);
      const observed = agg !== undefined ? m.values[agg] : undefined;
      out.push({ metric: name, expression, ok: r.ok, ...(observed !== undefined ? { observed } : {}) });
    }
  }
  return out;
}

export function allChecks(g: K6Group | undefined): K6Check[] {
  if (!g) return [];
  return [...(g.checks ?? []), ...(g.groups ?? []).flatMap(allChecks)];
}

export function summaryPasses(data: K6SummaryData): boolean {
  return thresholdResults(data).every((t) => t.ok);
}

export function fmt(v: number | undefined): string {
  if (v === undefined) return 'no data';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * Which JUnit test case a threshold belongs to: its verdict's case name, shared with the built-in
 * runner. Thresholds with none get a case of their own, named `metric: expression`.
 */
export type CaseNameOf = (metric: string) => string | undefined;

/**
 * One JUnit test case per verdict: the thresholds of one verdict (e.g. `http_req_failed` and
 * `http_reqs{expected_response:true}` for "errors") share a case, which fails when any of them failed.
 */
export function summaryToJUnitSuites(
  data: K6SummaryData,
  profileName: string,
  caseNameOf: CaseNameOf = () => undefined,
): JUnitSuite[] {
  const seconds = (data.state?.testRunDurationMs ?? 0) / 1000;
  const byCase = new Map<string, ThresholdResult[]>();
  for (const t of thresholdResults(data)) {
    const name = caseNameOf(t.metric) ?? `${t.metric}: ${t.expression}`;
    byCase.set(name, [...(byCase.get(name) ?? []), t]);
  }
  const cases: JUnitCase[] = [...byCase].map(([name, ts]) => {
    const failed = ts.filter((t) => !t.ok);
    return {
      name,
      classname: `k6.${profileName}`,
      timeSeconds: seconds,
      systemOut: ts.map((t) => `${t.metric} ${t.expression}: observed ${fmt(t.observed)}`).join('\n'),
      ...(failed.length === 0
        ? {}
        : {
            failure: {
              message: failed
                .map((t) => `${t.metric} ${t.expression} not met (observed ${fmt(t.observed)})`)
                .join('; '),
              type: 'threshold',
            },
          }),
    };
  });
  const properties: Record<string, string> = {};
  for (const c of allChecks(data.root_group)) properties[`check: ${c.name}`] = `${c.passes} passed, ${c.fails} failed`;
  return [{ name: `k6 ${profileName}`, cases, properties }];
}

/** The text summary; `extra` lines (e.g. the records counts) go before the threshold verdicts. */
export function summaryText(data: K6SummaryData, profileName: string, extra: readonly string[] = []): string {
  // The load itself where the thresholds single it out (the scenario's requests, not setup's).
  const d = (data.metrics[`http_req_duration{scenario:${profileName}}`] ?? data.metrics.http_req_duration)?.values;
  const reqs = data.metrics.http_reqs?.values;
  const iterations = data.metrics.iterations?.values;
  const lines = [
    `k6 ${profileName}: ${fmt(reqs?.count)} requests at ${fmt(reqs?.rate)} req/s` +
      (iterations ? `, ${fmt(iterations.count)} iterations at ${fmt(iterations.rate)}/s` : ''),
  ];
  if (d)
    lines.push(
      `  http_req_duration  med ${fmt(d.med)}  p90 ${fmt(d['p(90)'])}  p95 ${fmt(d['p(95)'])}  p99 ${fmt(d['p(99)'])}  max ${fmt(d.max)} ms`,
    );
  const dropped = data.metrics.dropped_iterations?.values.count;
  if (dropped) lines.push(`  dropped iterations ${dropped}`);
  for (const c of allChecks(data.root_group))
    lines.push(`  check ${c.fails ? 'FAIL' : 'ok  '} ${c.name}: ${c.passes} passed, ${c.fails} failed`);
  for (const e of extra) lines.push(`  ${e}`);
  for (const t of thresholdResults(data))
    lines.push(`  ${t.ok ? 'PASS' : 'FAIL'}  ${t.metric} ${t.expression} (observed ${fmt(t.observed)})`);
  lines.push(`result: ${summaryPasses(data) ? 'PASS' : 'FAIL'}`);
  return `${lines.join('\n')}\n`;
}
