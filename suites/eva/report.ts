/**
 * EVA reports: the console summary, eva.json, junit.xml and a self-contained eva.html. Failing
 * comparisons come first everywhere; every output is masked here as well, whoever built the run.
 */
import { redact } from '../../core/redact';
import { slowestLine, type DeadlineReport } from '../../core/deadline';
import { badge, escapeHtml, renderHtmlPage, tiles } from '../report/html';
import { renderJUnit, type JUnitCase, type JUnitSuite } from '../report/junit';
import type { AppViewSample } from './app-view';
import type { ReadingNote } from '../../contracts/readings';
import { summarise, type Difference, type EvaTotals, type PatientVerdict, type EvaOutcome } from './compare';

export interface EvaRun {
  title?: string;
  /** The supplier's base URL. */
  supplier?: string;
  /** The fixture pack's name. */
  pack?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  /** The ignore rules in effect (CompiledCompareOptions.ignore). */
  ignore?: readonly string[];
  verdicts: PatientVerdict[];
  /** Computed from `verdicts` when absent. */
  totals?: EvaTotals;
  /** "What the NHS App would see": a sample of /aggregator/events responses, filled by replay. */
  appView?: AppViewSample[];
  /** producer:WF-NFR-02 observed on every pull replay judged: late answers that were not a 504, and the slowest per endpoint. */
  deadline?: DeadlineReport;
}

export interface EvaReportFiles {
  'eva.json': string;
  'junit.xml': string;
  'eva.html': string;
}

export interface EvaReportLimits {
  /** Failing comparisons shown with every difference (console and HTML); the rest are counted. */
  maxDetailed?: number;
  /** Differences shown per comparison (console and HTML). */
  maxDifferences?: number;
  /** Matching comparisons listed in the HTML. */
  maxMatchesListed?: number;
}

const DEFAULTS: Required<EvaReportLimits> = { maxDetailed: 200, maxDifferences: 50, maxMatchesListed: 2000 };
const CONSOLE_DEFAULTS: Required<EvaReportLimits> = { maxDetailed: 25, maxDifferences: 10, maxMatchesListed: 0 };

const ORDER: Record<EvaOutcome, number> = { mismatch: 0, error: 1, warn: 2, match: 3 };

/** Mismatches, then errors, then matches with warnings, then matches; stable within each. */
export function orderForReport(verdicts: readonly PatientVerdict[]): PatientVerdict[] {
  return verdicts
    .map((v, i) => ({ v, i }))
    .sort((x, y) => ORDER[x.v.verdict] - ORDER[y.v.verdict] || x.i - y.i)
    .map((x) => x.v);
}

function prepared(run: EvaRun): EvaRun & { totals: EvaTotals } {
  const safe = redact(run);
  return { ...safe, totals: safe.totals ?? summarise(safe.verdicts) };
}

function who(v: PatientVerdict): string {
  const idx = v.patientIndex !== undefined ? `patient ${v.patientIndex} ` : '';
  return `${idx}${v.nhsNumberMasked}${v.scenario ? ` (${v.scenario})` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function differenceLine(d: Difference): string {
  return `${d.kind.padEnd(19)} ${d.path}  ${d.message}`;
}

function countsLine(t: { match: number; warn: number; mismatch: number; error: number }): string {
  return `${t.match} match${t.warn ? `, ${t.warn} match with warnings` : ''}, ${t.mismatch} mismatch, ${t.error} error`;
}

function warningLine(w: ReadingNote): string {
  return `${w.erratum} ${w.pointer}  ${w.title}`;
}

/** The warnings of a run, grouped: each erratum once, with how many comparisons took it and what is safe. */
function warningGroups(
  verdicts: readonly PatientVerdict[],
): Array<{ erratum: string; title: string; hint: string; count: number }> {
  const groups = new Map<string, { erratum: string; title: string; hint: string; count: number }>();
  for (const v of verdicts)
    for (const w of v.warnings ?? []) {
      const key = `${w.erratum}|${w.title}`;
      const g = groups.get(key) ?? { erratum: w.erratum, title: w.title, hint: w.hint, count: 0 };
      g.count++;
      groups.set(key, g);
    }
  return [...groups.values()];
}

function headline(run: EvaRun & { totals: EvaTotals }): string {
  const t = run.totals;
  const patients = t.patients !== undefined ? ` (${plural(t.patients, 'patient')})` : '';
  return `EVA ${t.passed ? 'PASS' : 'FAIL'}: ${plural(t.comparisons, 'comparison')}${patients}: ${countsLine(t)}; ${plural(t.differences, 'difference')}`;
}

/** Totals, then each failing comparison with one line per difference. */
export function consoleSummary(run: EvaRun, limits: EvaReportLimits = {}): string {
  const lim = { ...CONSOLE_DEFAULTS, ...limits };
  const r = prepared(run);
  const lines = [headline(r)];
  for (const [type, c] of Object.entries(r.totals.byResourceType)) lines.push(`  ${type.padEnd(18)} ${countsLine(c)}`);
  const failing = orderForReport(r.verdicts).filter((v) => v.verdict === 'mismatch' || v.verdict === 'error');
  for (const g of warningGroups(r.verdicts))
    lines.push(
      `WARN     ${g.erratum} in ${plural(g.count, 'place')}: ${g.title}`,
      `  safe under every reading: ${g.hint}`,
    );
  for (const v of failing.slice(0, lim.maxDetailed)) {
    const status = v.status !== undefined ? ` HTTP ${v.status}` : '';
    lines.push(
      `${v.verdict.toUpperCase().padEnd(8)} ${who(v)} ${v.resourceType}${status}: ${plural(v.differences.length, 'difference')}`,
    );
    for (const d of v.differences.slice(0, lim.maxDifferences)) lines.push(`  ${differenceLine(d)}`);
    if (v.differences.length > lim.maxDifferences)
      lines.push(`  ... and ${v.differences.length - lim.maxDifferences} more differences`);
  }
  if (failing.length > lim.maxDetailed)
    lines.push(`... and ${failing.length - lim.maxDetailed} more failing comparisons (see eva.html / eva.json)`);
  if (r.appView?.length) {
    lines.push(`What the NHS App would see (${r.appView.length} sampled):`);
    for (const s of r.appView) lines.push(`  ${appViewLine(s)}`);
  }
  return `${lines.join('\n')}\n`;
}

function appViewLine(s: AppViewSample): string {
  const issues = s.issues.map((i) => [i.code, i.source].filter(Boolean).join('@')).join(', ');
  const verdict = s.differences === undefined ? '' : s.differences.length === 0 ? 'MATCH    ' : 'MISMATCH ';
  const line = `${verdict}${s.nhsNumberMasked} HTTP ${s.status ?? '-'}: ${s.activities} activities${issues ? `; issues: ${issues}` : ''}${s.note ? `; ${s.note}` : ''}`;
  return [line, ...(s.differences ?? []).map((d) => `    ${d}`)].join('\n  ');
}

/** Consumer-view comparisons (patients whose pack entry says what the App should see) that differ. */
export function consumerViewMismatches(samples: readonly AppViewSample[] | undefined): AppViewSample[] {
  return (samples ?? []).filter((s) => (s.differences?.length ?? 0) > 0);
}

// ---------------------------------------------------------------------------------------------

function renderJson(r: EvaRun & { totals: EvaTotals }): string {
  const { verdicts, ...rest } = r;
  return `${JSON.stringify({ tool: 'pca-harness', report: 'eva', ...rest, verdicts: orderForReport(verdicts) }, null, 2)}\n`;
}

/** The EVA run as JUnit suites: one per resource type, a case per patient. */
export function evaJUnitSuites(r: EvaRun & { totals: EvaTotals }): JUnitSuite[] {
  const suites = new Map<string, JUnitSuite>();
  const properties: Record<string, string> = {};
  if (r.supplier) properties.supplier = r.supplier;
  if (r.pack) properties.pack = r.pack;
  for (const v of r.verdicts) {
    let suite = suites.get(v.resourceType);
    if (!suite) {
      suite = {
        name: `eva.${v.resourceType}`,
        cases: [],
        ...(r.startedAt ? { timestamp: r.startedAt } : {}),
        properties,
      };
      suites.set(v.resourceType, suite);
    }
    const c: JUnitCase = {
      name: `${who(v)} ${v.resourceType}`,
      classname: `eva.${v.resourceType}`,
      ...(v.durationMs !== undefined ? { timeSeconds: v.durationMs / 1000 } : {}),
    };
    const body = v.differences.map(differenceLine).join('\n');
    const count = plural(v.differences.length, 'difference');
    if (v.verdict === 'mismatch')
      c.failure = { message: `${count}: ${v.differences[0]?.message ?? ''}`, type: 'eva-mismatch', body };
    if (v.verdict === 'error')
      c.error = { message: v.differences[0]?.message ?? `HTTP ${v.status ?? '-'}`, type: 'eva-error', body };
    if (v.verdict === 'warn')
      c.warning = {
        message: `matched, reading the body as docs/spec-errata.md accepts: ${[...new Set((v.warnings ?? []).map((w) => w.erratum))].join(', ')}`,
        body: (v.warnings ?? []).map(warningLine).join('\n'),
      };
    suite.cases.push(c);
  }
  const compared = (r.appView ?? []).filter((s) => s.differences !== undefined);
  if (compared.length > 0) {
    suites.set('consumer-view', {
      name: 'eva.consumer-view',
      ...(r.startedAt ? { timestamp: r.startedAt } : {}),
      properties,
      cases: compared.map((s) => ({
        name: `${s.nhsNumberMasked} consumer view`,
        classname: 'eva.consumer-view',
        ...(s.differences!.length > 0
          ? {
              failure: {
                message: `${plural(s.differences!.length, 'difference')}: ${s.differences![0]}`,
                type: 'eva-mismatch',
                body: s.differences!.join('\n'),
              },
            }
          : {}),
      })),
    });
  }
  if (r.deadline) suites.set('deadline', deadlineSuite(r.deadline, properties, r.startedAt));
  return [...suites.values()];
}

/** One case per endpoint pulled: failed when an answer after the deadline was not a 504 with an OperationOutcome. */
function deadlineSuite(d: DeadlineReport, properties: Record<string, string>, startedAt?: string): JUnitSuite {
  return {
    name: 'eva.deadline',
    ...(startedAt ? { timestamp: startedAt } : {}),
    properties,
    cases: d.slowest.map((s) => {
      const late = d.late.filter((l) => l.endpoint === s.endpoint);
      const c: JUnitCase = {
        name: `producer:WF-NFR-02 ${s.endpoint}`,
        classname: 'eva.deadline',
        systemOut: `${s.answers} answer(s) timed; slowest ${slowestLine([s])}`,
      };
      if (s.late > 0)
        c.failure = {
          message: `${s.late} late answer(s) not a 504 with an OperationOutcome${late[0] ? `; first ${late[0].label}: ${late[0].problem}` : ''}`,
          type: 'deadline',
          body: late.map((l) => `${l.label}: ${l.problem}`).join('\n'),
        };
      return c;
    }),
  };
}

function renderJunit(r: EvaRun & { totals: EvaTotals }): string {
  return renderJUnit(evaJUnitSuites(r), 'pca-harness eva');
}

// ---------------------------------------------------------------------------------------------

const MAX_PRE = 4000;

function pretty(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v, null, 2) ?? String(v);
  return s.length > MAX_PRE ? `${s.slice(0, MAX_PRE)}\n… (${s.length - MAX_PRE} more characters in eva.json)` : s;
}

const TONE: Record<EvaOutcome, 'pass' | 'warn' | 'fail' | 'error'> = {
  match: 'pass',
  warn: 'warn',
  mismatch: 'fail',
  error: 'error',
};

function differenceHtml(d: Difference): string {
  const pointers = [
    d.expectedPointer !== undefined ? `expected at <code>${escapeHtml(d.expectedPointer || '/')}</code>` : '',
    d.actualPointer !== undefined ? `actual at <code>${escapeHtml(d.actualPointer || '/')}</code>` : '',
  ]
    .filter(Boolean)
    .join(' &middot; ');
  return `<div class="diff">
<p>${badge(d.kind, d.kind === 'not-a-bundle' ? 'error' : 'fail')} <code>${escapeHtml(d.path)}</code> &mdash; ${escapeHtml(d.message)}${pointers ? `<br><span class="muted">${pointers}</span>` : ''}</p>
<div class="side"><div><h4>expected</h4><pre class="exp">${escapeHtml(pretty(d.expected))}</pre></div><div><h4>actual</h4><pre class="act">${escapeHtml(pretty(d.actual))}</pre></div></div>
</div>`;
}

function verdictHtml(v: PatientVerdict, maxDifferences: number): string {
  const status = v.status !== undefined ? ` &middot; HTTP ${escapeHtml(v.status)}` : '';
  const more =
    v.differences.length > maxDifferences
      ? `<p class="muted">&hellip; and ${v.differences.length - maxDifferences} more differences in eva.json</p>`
      : '';
  return `<section class="verdict ${escapeHtml(v.verdict)}">
<h3>${badge(v.verdict.toUpperCase(), TONE[v.verdict])} ${escapeHtml(who(v))} &middot; ${escapeHtml(v.resourceType)}${status} &middot; ${plural(v.differences.length, 'difference')}</h3>
${v.differences.slice(0, maxDifferences).map(differenceHtml).join('\n')}
${more}</section>`;
}

function appViewHtml(samples: AppViewSample[]): string {
  const rows = samples.map(
    (s) =>
      `<tr class="${s.differences?.length || (s.differences === undefined && (s.issues.some((i) => i.code !== 'business-rule') || s.note || (s.status !== 200 && s.status !== 207))) ? 'fail' : 'pass'}"><td>${escapeHtml(s.nhsNumberMasked)}</td><td>${escapeHtml(s.status ?? '-')}</td><td>${s.carePlans}</td><td>${s.activities}</td><td>${s.issues.map((i) => escapeHtml([i.severity, i.code, i.source, i.diagnostics].filter(Boolean).join(' · '))).join('<br>')}${s.note ? `<span class="muted">${escapeHtml(s.note)}</span>` : ''}</td><td>${s.differences === undefined ? '<span class="muted">-</span>' : s.differences.length === 0 ? badge('MATCH', 'pass') : `${badge('MISMATCH', 'fail')}<br>${s.differences.map(escapeHtml).join('<br>')}`}</td></tr>`,
  );
  return `<section><h2>What the NHS App would see</h2>
<p class="muted">A sample of <code>/aggregator/events</code> responses for the replayed patients; where the pack says what the App should see (<code>consumer.expectedView</code>), expected versus actual.</p>
<table><thead><tr><th>patient</th><th>status</th><th>care plans</th><th>activities</th><th>issues</th><th>consumer view</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></section>`;
}

/** producer:WF-NFR-02 as replay observed it: the slowest answer per endpoint and every late answer named. */
function deadlineHtml(d: DeadlineReport): string {
  const ok = d.lateCount === 0;
  const rows = d.slowest
    .map(
      (s) =>
        `<tr class="${s.late ? 'fail' : 'pass'}"><td>${escapeHtml(s.endpoint)}</td><td>${s.answers}</td><td>${Math.round(s.latencyMs)} ms (HTTP ${s.status})</td><td>${s.late}</td></tr>`,
    )
    .join('\n');
  const late = d.late.map((l) => `<li>${escapeHtml(`${l.endpoint}, ${l.label}: ${l.problem}`)}</li>`).join('');
  return `<section><h2>${badge(ok ? 'PASS' : 'FAIL', ok ? 'pass' : 'fail')} Timeouts (producer:WF-NFR-02)</h2>
<p class="muted">Every answer after ${d.deadlineMs.toLocaleString('en-GB')} ms must be a 504 with an OperationOutcome; the pulls wait ${d.clientTimeoutMs.toLocaleString('en-GB')} ms, so a late answer is seen.</p>
<table><thead><tr><th>endpoint</th><th>answers</th><th>slowest</th><th>late, not a 504</th></tr></thead><tbody>
${rows}
</tbody></table>${late ? `<ul>${late}</ul>` : ''}</section>`;
}

function renderHtml(r: EvaRun & { totals: EvaTotals }, lim: Required<EvaReportLimits>): string {
  const t = r.totals;
  const ordered = orderForReport(r.verdicts);
  const failing = ordered.filter((v) => v.verdict === 'mismatch' || v.verdict === 'error');
  const matching = ordered.filter((v) => v.verdict === 'match' || v.verdict === 'warn');
  const warned = warningGroups(r.verdicts);
  const meta: Array<[string, string | undefined]> = [
    ['supplier', r.supplier],
    ['pack', r.pack],
    ['started', r.startedAt],
    ['finished', r.finishedAt],
    ['duration', r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : undefined],
  ];
  const metaRows = meta
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  const parts: string[] = [];
  parts.push(`<section><h2>${badge(t.passed ? 'PASS' : 'FAIL', t.passed ? 'pass' : 'fail')} Expected versus actual</h2>
${tiles([
  { label: 'comparisons', value: t.comparisons, tone: 'info' },
  ...(t.patients !== undefined ? [{ label: 'patients', value: t.patients, tone: 'info' as const }] : []),
  { label: 'match', value: t.match, tone: 'pass' },
  { label: 'match with warnings', value: t.warn, tone: t.warn ? 'warn' : 'pass' },
  { label: 'mismatch', value: t.mismatch, tone: t.mismatch ? 'fail' : 'pass' },
  { label: 'error', value: t.error, tone: t.error ? 'fail' : 'pass' },
  { label: 'differences', value: t.differences, tone: t.differences ? 'fail' : 'pass' },
])}
${metaRows ? `<table>${metaRows}</table>` : ''}
</section>`);
  parts.push(`<section><h2>By resource type</h2><table><thead><tr><th>resource type</th><th>match</th><th>with warnings</th><th>mismatch</th><th>error</th></tr></thead><tbody>
${Object.entries(t.byResourceType)
  .map(
    ([type, c]) =>
      `<tr class="${c.mismatch || c.error ? 'fail' : 'pass'}"><td>${escapeHtml(type)}</td><td>${c.match}</td><td>${c.warn}</td><td>${c.mismatch}</td><td>${c.error}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
<p class="muted">Differences by kind: ${Object.entries(t.byKind)
    .map(([k, n]) => `${escapeHtml(k)} ${n}`)
    .join(' &middot; ')}</p></section>`);
  if (r.deadline) parts.push(deadlineHtml(r.deadline));
  if (failing.length) {
    parts.push(`<h2>Mismatches and errors (${failing.length})</h2>`);
    parts.push(
      failing
        .slice(0, lim.maxDetailed)
        .map((v) => verdictHtml(v, lim.maxDifferences))
        .join('\n'),
    );
    if (failing.length > lim.maxDetailed)
      parts.push(
        `<p class="muted">&hellip; and ${failing.length - lim.maxDetailed} more failing comparisons in eva.json</p>`,
      );
  }
  if (warned.length)
    parts.push(`<section><h2>${badge('WARN', 'warn')} Matched by reading a contradicting spec (${t.warn})</h2>
<p class="muted">The supplier took a reading of the spec other than the pack's where the spec contradicts itself (docs/spec-errata.md). These comparisons pass.</p>
<table><thead><tr><th>erratum</th><th>what the supplier sent</th><th>comparisons</th><th>safe under every reading</th></tr></thead><tbody>
${warned.map((g) => `<tr class="warn"><td>${escapeHtml(g.erratum)}</td><td>${escapeHtml(g.title)}</td><td>${g.count}</td><td>${escapeHtml(g.hint)}</td></tr>`).join('\n')}
</tbody></table></section>`);
  if (r.appView?.length) parts.push(appViewHtml(r.appView));
  if (matching.length) {
    const listed = matching.slice(0, lim.maxMatchesListed);
    parts.push(`<section><details><summary>Matched (${matching.length})</summary><table><thead><tr><th>patient</th><th>resource type</th><th>status</th></tr></thead><tbody>
${listed.map((v) => `<tr class="${v.verdict === 'warn' ? 'warn' : 'pass'}"><td>${escapeHtml(who(v))}</td><td>${escapeHtml(v.resourceType)}</td><td>${escapeHtml(v.status ?? '-')}${v.verdict === 'warn' ? ` ${badge('WARN', 'warn')}` : ''}</td></tr>`).join('\n')}
</tbody></table>${matching.length > listed.length ? `<p class="muted">&hellip; and ${matching.length - listed.length} more in eva.json</p>` : ''}</details></section>`);
  }
  if (r.ignore?.length) {
    parts.push(
      `<section><h2>Ignore rules in effect</h2><p>${r.ignore.map((i) => `<code>${escapeHtml(i)}</code>`).join(' ')}</p><p class="muted">Path notation and matching rules: docs/eva.md.</p></section>`,
    );
  }
  return renderHtmlPage({
    title: r.title ?? 'pca-harness EVA: expected versus actual',
    subtitle: headline(r),
    body: parts.join('\n'),
    ...(r.finishedAt ? { generatedAt: r.finishedAt } : {}),
  });
}

/** The three report files; write them with suites/report/files.ts writeReportFiles. */
export function renderEvaReports(run: EvaRun, limits: EvaReportLimits = {}): EvaReportFiles {
  const r = prepared(run);
  const lim = { ...DEFAULTS, ...limits };
  return { 'eva.json': renderJson(r), 'junit.xml': renderJunit(r), 'eva.html': renderHtml(r, lim) };
}
