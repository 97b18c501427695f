/**
 * One view across suites: every suite (check, EVA, Pact, load) reduces its result to a
 * SuiteSummary; the index page is built from those (the merged junit.xml from their JUnit suites).
 */
import { escapeHtml, badge, renderHtmlPage, tiles } from './html';

export type SuiteVerdict = 'pass' | 'fail' | 'error' | 'skipped';

export interface SuiteSummary {
  /** Stable key, also the report sub-directory: `check`, `eva`, `verify`, `load`, `upload`. */
  key: string;
  title: string;
  verdict: SuiteVerdict;
  /** One line a person reads first, e.g. "41 of 41 MUST checks passed". */
  headline: string;
  counts: { passed: number; failed: number; skipped: number; errors: number };
  /** Report files relative to the report root, e.g. `check/report.html`. */
  files: Record<string, string>;
  /** Failures worth listing on the index, already free of PID. */
  highlights?: string[];
  durationMs?: number;
}

export interface IndexMeta {
  title?: string;
  generatedAt: string;
  harnessVersion: string;
  specVersions: Record<string, string>;
  details?: Record<string, string>;
}

export function overallVerdict(suites: SuiteSummary[]): SuiteVerdict {
  if (suites.some((s) => s.verdict === 'error')) return 'error';
  if (suites.some((s) => s.verdict === 'fail')) return 'fail';
  return suites.length && suites.every((s) => s.verdict === 'skipped') ? 'skipped' : 'pass';
}

const TONE = { pass: 'pass', fail: 'fail', error: 'error', skipped: 'skip' } as const;

export function renderIndexPage(suites: SuiteSummary[], meta: IndexMeta): string {
  const verdict = overallVerdict(suites);
  const totals = suites.reduce(
    (t, s) => ({
      passed: t.passed + s.counts.passed,
      failed: t.failed + s.counts.failed,
      skipped: t.skipped + s.counts.skipped,
      errors: t.errors + s.counts.errors,
    }),
    { passed: 0, failed: 0, skipped: 0, errors: 0 },
  );
  const rows = [...suites]
    .sort((a, b) => Number(a.verdict === 'pass') - Number(b.verdict === 'pass'))
    .map(
      (s) => `<tr class="${s.verdict === 'pass' ? 'pass' : 'fail'}">
<td>${badge(s.verdict.toUpperCase(), TONE[s.verdict])}</td>
<td><strong>${escapeHtml(s.title)}</strong><br><span class="muted">${escapeHtml(s.headline)}</span>${
        s.highlights?.length
          ? `<details><summary>${s.highlights.length} failure(s)</summary><ul>${s.highlights.map((h) => `<li>${escapeHtml(h)}</li>`).join('')}</ul></details>`
          : ''
      }</td>
<td>${s.counts.passed} / ${s.counts.failed} / ${s.counts.skipped} / ${s.counts.errors}</td>
<td>${Object.entries(s.files)
        .map(([label, href]) => `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`)
        .join('<br>')}</td>
</tr>`,
    )
    .join('\n');
  const details = {
    'harness version': meta.harnessVersion,
    ...Object.fromEntries(Object.entries(meta.specVersions).map(([k, v]) => [`spec ${k}`, v])),
    ...(meta.details ?? {}),
  };
  const body = `<section>
<h2>${badge(verdict === 'pass' ? 'ALL PASSED' : verdict.toUpperCase(), TONE[verdict])} Summary</h2>
${tiles([
  { label: 'suites', value: suites.length },
  { label: 'passed', value: totals.passed, tone: 'pass' },
  { label: 'failed', value: totals.failed, tone: totals.failed ? 'fail' : undefined },
  { label: 'skipped', value: totals.skipped },
  { label: 'errors', value: totals.errors, tone: totals.errors ? 'fail' : undefined },
])}
</section>
<section><h2>Suites</h2>
<table><thead><tr><th>verdict</th><th>suite</th><th>passed / failed / skipped / errors</th><th>reports</th></tr></thead>
<tbody>${rows}</tbody></table></section>
<section><h2>Run details</h2><table><tbody>${Object.entries(details)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</tbody></table></section>`;
  return renderHtmlPage({
    title: meta.title ?? 'pca-harness report',
    subtitle: `${suites.length} suites, ${verdict === 'pass' ? 'all passed' : 'see failures below'}`,
    body,
    generatedAt: meta.generatedAt,
  });
}
