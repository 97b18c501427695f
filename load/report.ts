/**
 * What a load run leaves behind: a console summary, load.json, junit.xml (one test case per
 * threshold) and load.html with the latency distribution and latency and rate over time.
 * Nothing here carries patient data or tokens: problems were masked where they were found.
 */
import { renderJUnit, type JUnitCase, type JUnitSuite } from '../suites/report/junit';
import { badge, escapeHtml, renderHtmlPage, tiles } from '../suites/report/html';
import { writeReportFiles } from '../suites/report/files';
import { formatDurationMs, verdictCaseName } from './profile-data';
import type { LatencySummary } from './runner/types';
import { slowestLine } from '../core/deadline';
import type { FanOutReport } from './fan-out';
import type { LoadReport } from './run-profile';
import { distributionChart, latencyOverTimeChart, rateOverTimeChart } from './charts';

export const LOAD_REPORT_FILES = { json: 'load.json', junit: 'junit.xml', html: 'load.html' } as const;

const f1 = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

function latencyLine(l: LatencySummary): string {
  return `p50 ${f1(l.p50)}  p90 ${f1(l.p90)}  p95 ${f1(l.p95)}  p99 ${f1(l.p99)}  max ${f1(l.max)} ms`;
}

function planLine(r: LoadReport): string {
  const p = r.result.plan;
  const peak = Math.max(p.startRate, ...p.stages.map((s) => s.toRate));
  const shape =
    peak !== p.startRate || p.stages.some((s) => s.toRate !== p.startRate)
      ? `${p.startRate} -> ${peak} req/s over ${formatDurationMs(p.plannedDurationMs)}`
      : `${p.startRate} req/s for ${formatDurationMs(p.plannedDurationMs)}`;
  return `${shape} (${p.plannedArrivals} arrivals), at most ${p.maxInFlight} in flight`;
}

function statusLine(byStatus: Record<string, number>): string {
  return (
    Object.entries(byStatus)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([s, c]) => `${s}: ${c}`)
      .join(', ') || 'none'
  );
}

function fanOutLine(f: FanOutReport): string {
  if (!f.slowestUpstream) return `aggregator p95 ${f1(f.aggregatorP95Ms)} ms; no upstream was called`;
  return `aggregator p95 ${f1(f.aggregatorP95Ms)} ms - slowest upstream ${f.slowestUpstream.name} p95 ${f1(f.slowestUpstream.p95Ms)} ms = overhead ${f1(f.overheadP95Ms ?? 0)} ms`;
}

function fanOutHtml(f: FanOutReport): string {
  const rows = f.upstreams
    .map((u) => `<tr><td>${escapeHtml(u.name)}</td><td>${escapeHtml(f1(u.p95Ms))}</td><td>${u.count}</td></tr>`)
    .join('');
  return `<section><h2>Aggregator fan-out</h2><p>${escapeHtml(fanOutLine(f))}.</p><p class="muted">The overhead is what the aggregation adds on top of the slowest upstream the patient waits for: the run's P95 against the aggregator minus that upstream's P95, as the mock platform measured it (${escapeHtml(f.source)}); the platform's own answer-time P95 was ${escapeHtml(f1(f.platformP95Ms))} ms.</p><table><tr><th>upstream</th><th>p95 ms</th><th>calls</th></tr>${rows}</table></section>`;
}

/** The console summary. */
export function formatLoadSummary(r: LoadReport): string {
  const x = r.result;
  const lines = [
    `load: profile ${r.profile.name} against ${r.target} (${r.api}${r.verify ? ', verifying content' : ''})`,
    `  plan       ${planLine(r)}`,
    `  achieved   ${x.achievedRate.toFixed(2)} req/s; ${x.started} started, ${x.dropped} dropped, ${x.completed} completed in ${(x.durationMs / 1000).toFixed(1)} s`,
    `  latency    ${latencyLine(x.latency)}  (from the scheduled start)`,
    `  service    ${latencyLine(x.serviceTime)}`,
    `  lag        schedule lag p99 ${f1(x.scheduleLag.p99)} ms, max ${f1(x.scheduleLag.max)} ms`,
    `  statuses   ${statusLine(x.byStatus)}`,
    `  errors     ${x.errors.total} (${pct(x.errors.rate)})${Object.keys(x.errors.transport).length ? `; transport: ${statusLine(x.errors.transport)}` : ''}${x.errors.verification ? `; wrong content: ${x.errors.verification}` : ''}`,
  ];
  if (x.endpoints.length > 1)
    for (const e of x.endpoints)
      lines.push(
        `  ${e.tag.padEnd(10)} ${e.count} requests, ${e.errors} errors, ${latencyLine(e.latency)}${e.slowest ? `; slowest ${Math.round(e.slowest.ms)} ms (HTTP ${e.slowest.status})` : ''}`,
      );
  if (x.deadline)
    lines.push(
      `  deadline   producer:WF-NFR-02: ${x.deadline.lateCount} late answer(s) not a 504 with an OperationOutcome; slowest: ${slowestLine(x.deadline.slowest)}`,
    );
  if (r.records) {
    const rec = r.records;
    lines.push(
      `  records    ${rec.batchesAcknowledged}/${rec.batchesSent} batches of ${rec.batchSize} acknowledged, ${rec.batchesPerSecond.toFixed(2)} batches/s; reconciliation: ${rec.acknowledgedNumbers} of ${rec.numbers} numbers acknowledged${rec.platformReconciliation !== undefined ? `, platform counts ${rec.platformReconciliation} for ${rec.clientId}` : ''}`,
    );
    if (rec.warnings)
      lines.push(
        `  warnings   ${rec.warnings} answers carried a harness warning; the first: ${rec.firstWarning ?? ''}`,
      );
  }
  if (r.fanOut) lines.push(`  fan-out    ${fanOutLine(r.fanOut)}`);
  for (const p of x.problemSamples.slice(0, 5)) lines.push(`  problem    ${p.count} x ${p.problem}`);
  for (const v of r.verdicts) lines.push(`  ${v.pass ? 'PASS' : 'FAIL'}  ${v.title}: ${v.observed}`);
  const failed = r.verdicts.filter((v) => !v.pass).length;
  lines.push(
    `result: ${r.pass ? 'PASS' : 'FAIL'} (${r.verdicts.length - failed} of ${r.verdicts.length} thresholds met)`,
  );
  return lines.join('\n');
}

export function renderLoadJson(r: LoadReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** The load run as JUnit suites: one, with a case per threshold. */
export function loadJUnitSuites(r: LoadReport): JUnitSuite[] {
  const seconds = r.result.durationMs / 1000;
  const cases: JUnitCase[] = r.verdicts.map((v) => ({
    name: verdictCaseName(v.id, v.title),
    classname: `load.${r.profile.name}`,
    timeSeconds: seconds,
    systemOut: `expected ${v.expected}; observed ${v.observed}${v.requirement ? `; requirement ${v.requirement}` : ''}`,
    ...(v.pass
      ? {}
      : {
          failure: {
            message: `${v.title}: ${v.observed}`,
            type: 'threshold',
            body: `expected ${v.expected}\nobserved ${v.observed}`,
          },
        }),
  }));
  return [
    {
      name: `load ${r.profile.name}`,
      timestamp: r.result.startedAt,
      cases,
      properties: {
        target: r.target,
        api: r.api,
        achievedRate: r.result.achievedRate.toFixed(3),
        p95Ms: r.result.latency.p95.toFixed(3),
        ...(r.fanOut?.overheadP95Ms !== undefined ? { fanOutOverheadP95Ms: r.fanOut.overheadP95Ms.toFixed(3) } : {}),
        requirements: r.profile.requirements.join('; '),
      },
    },
  ];
}

export function renderLoadJUnit(r: LoadReport): string {
  return renderJUnit(loadJUnitSuites(r), 'pca-harness load');
}

function latencyRow(name: string, l: LatencySummary): string {
  return `<tr><td>${escapeHtml(name)}</td>${[l.p50, l.p90, l.p95, l.p99, l.max].map((v) => `<td>${escapeHtml(f1(v))}</td>`).join('')}<td>${l.count}</td></tr>`;
}

export function renderLoadHtml(r: LoadReport): string {
  const x = r.result;
  const verdictRows = r.verdicts
    .map(
      (v) =>
        `<tr class="${v.pass ? 'pass' : 'fail'}"><td>${badge(v.pass ? 'PASS' : 'FAIL', v.pass ? 'pass' : 'fail')}</td><td>${escapeHtml(v.title)}</td><td>${escapeHtml(v.expected)}</td><td>${escapeHtml(v.observed)}</td><td class="muted">${escapeHtml(v.requirement ?? '')}</td></tr>`,
    )
    .join('');
  const latencyTable =
    `<table><tr><th></th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>count</th></tr>` +
    latencyRow('latency (from schedule)', x.latency) +
    latencyRow('service time', x.serviceTime) +
    latencyRow('schedule lag', x.scheduleLag) +
    (x.endpoints.length > 1 ? x.endpoints.map((e) => latencyRow(`latency: ${e.tag}`, e.latency)).join('') : '') +
    '</table>';
  const problems = x.problemSamples.length
    ? `<section><h2>Problems</h2><table><tr><th>count</th><th>problem</th></tr>${x.problemSamples.map((p) => `<tr><td>${p.count}</td><td>${escapeHtml(p.problem)}</td></tr>`).join('')}</table></section>`
    : '';
  const records = r.records
    ? `<section><h2>Record Service</h2><p>${r.records.batchesAcknowledged} of ${r.records.batchesSent} batches of ${r.records.batchSize} acknowledged (${r.records.batchesPerSecond.toFixed(2)} batches/s). Reconciliation: ${r.records.acknowledgedNumbers} of ${r.records.numbers} distinct NHS numbers acknowledged${r.records.platformReconciliation !== undefined ? `; the platform counts ${r.records.platformReconciliation} for ${escapeHtml(r.records.clientId)}` : ''}.</p>${r.records.warnings ? `<p class="hint">${r.records.warnings} answers carried a harness warning; the first: ${escapeHtml(r.records.firstWarning ?? '')}</p>` : ''}</section>`
    : '';
  const body = [
    tiles([
      { label: 'result', value: r.pass ? 'PASS' : 'FAIL', tone: r.pass ? 'pass' : 'fail' },
      { label: 'achieved req/s', value: x.achievedRate.toFixed(2) },
      {
        label: 'p95 ms',
        value: f1(x.latency.p95),
        tone: r.profile.thresholds.p95Ms >= x.latency.p95 ? 'pass' : 'fail',
      },
      { label: 'errors', value: `${x.errors.total} (${pct(x.errors.rate)})`, tone: x.errors.total ? 'fail' : 'pass' },
      { label: 'dropped', value: x.dropped },
    ]),
    `<section><h2>Thresholds</h2><table><tr><th></th><th>threshold</th><th>expected</th><th>observed</th><th>requirement</th></tr>${verdictRows}</table></section>`,
    `<section><h2>Run</h2><p>${escapeHtml(r.profile.title)}.</p><p class="muted">Plan: ${escapeHtml(planLine(r))}. Started ${escapeHtml(x.startedAt)}; ${x.started} requests started, ${x.completed} completed, ${x.dropped} dropped, ${x.interrupted} interrupted. Statuses: ${escapeHtml(statusLine(x.byStatus))}.${r.idTokens ? ` ID tokens for ${r.idTokens.patients} patients from ${escapeHtml(r.idTokens.issuer)} (${r.idTokens.source}).` : ''}</p>${latencyTable}<p class="muted">Latency runs from each request's scheduled start, so a target that slows down cannot hide behind a slower arrival rate (no coordinated omission); service time runs from the actual start.</p></section>`,
    `<section><h2>Latency distribution</h2>${distributionChart(x.distribution, { p95: x.latency.p95, budgetMs: r.profile.thresholds.p95Ms })}</section>`,
    `<section><h2>Latency over time</h2>${latencyOverTimeChart(x.timeline, r.profile.thresholds.p95Ms)}</section>`,
    `<section><h2>Rate over time</h2>${rateOverTimeChart(x.timeline)}</section>`,
    records,
    r.fanOut ? fanOutHtml(r.fanOut) : '',
    problems,
  ].join('\n');
  return renderHtmlPage({
    title: `Load: ${r.profile.name} ${r.pass ? 'passed' : 'failed'}`,
    subtitle: `${r.target} (${r.api})`,
    body,
    generatedAt: new Date().toISOString(),
  });
}

export async function writeLoadReport(dir: string, r: LoadReport): Promise<Record<string, string>> {
  return writeReportFiles(dir, {
    [LOAD_REPORT_FILES.json]: renderLoadJson(r),
    [LOAD_REPORT_FILES.junit]: renderLoadJUnit(r),
    [LOAD_REPORT_FILES.html]: renderLoadHtml(r),
  });
}
