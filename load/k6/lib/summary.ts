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

function fmt(v: number | undefined): string {
  if (v === undefined) return 'no data';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

export function summaryToJUnitSuites(data: K6SummaryData, profileName: string): JUnitSuite[] {
  const seconds = (data.state?.testRunDurationMs ?? 0) / 1000;
  const cases: JUnitCase[] = thresholdResults(data).map((t) => ({
    name: `${t.metric}: ${t.expression}`,
    classname: `k6.${profileName}`,
    timeSeconds: seconds,
    systemOut: `observed ${fmt(t.observed)}`,
    ...(t.ok
      ? {}
      : {
          failure: { message: `${t.metric} ${t.expression} not met (observed ${fmt(t.observed)})`, type: 'threshold' },
        }),
  }));
  const properties: Record<string, string> = {};
  for (const c of allChecks(data.root_group)) properties[`check: ${c.name}`] = `${c.passes} passed, ${c.fails} failed`;
  return [{ name: `k6 ${profileName}`, cases, properties }];
}

export function summaryText(data: K6SummaryData, profileName: string): string {
  const d = data.metrics.http_req_duration?.values;
  const reqs = data.metrics.http_reqs?.values;
  const lines = [`k6 ${profileName}: ${fmt(reqs?.count)} requests at ${fmt(reqs?.rate)} req/s`];
  if (d)
    lines.push(
      `  http_req_duration  med ${fmt(d.med)}  p90 ${fmt(d['p(90)'])}  p95 ${fmt(d['p(95)'])}  p99 ${fmt(d['p(99)'])}  max ${fmt(d.max)} ms`,
    );
  const dropped = data.metrics.dropped_iterations?.values.count;
  if (dropped) lines.push(`  dropped iterations ${dropped}`);
  for (const c of allChecks(data.root_group))
    lines.push(`  check ${c.fails ? 'FAIL' : 'ok  '} ${c.name}: ${c.passes} passed, ${c.fails} failed`);
  for (const t of thresholdResults(data))
    lines.push(`  ${t.ok ? 'PASS' : 'FAIL'}  ${t.metric} ${t.expression} (observed ${fmt(t.observed)})`);
  lines.push(`result: ${summaryPasses(data) ? 'PASS' : 'FAIL'}`);
  return `${lines.join('\n')}\n`;
}
