/**
 * report.html for a check run: self-contained (inline CSS and SVG, no scripts, nothing fetched),
 * pass/fail at a glance, failures first with their evidence folded under <details>, every check
 * linked to the requirements it verifies, and the requirement coverage matrix.
 */
import { FAMILY_NAMES, type Family, type Outcome } from '../checks/check';
import { FAMILIES } from '../checks/catalogue';
import { SOURCE_NAMES, SPEC_URLS, type RequirementSource } from '../checks/requirements';
import type { CheckReport, ReportCheck } from './check-report';
import { badge, escapeHtml as e, renderHtmlPage, tiles, type Tone } from './html';

const COLOURS: Record<Outcome, string> = { pass: '#007f3b', fail: '#d5281b', skip: '#768692', error: '#8a1538' };
const OUTCOME_TONE: Record<Outcome, Tone> = { pass: 'pass', fail: 'fail', skip: 'skip', error: 'error' };
const COVERAGE_TONE: Record<string, Tone> = {
  verified: 'pass',
  'partly-verified': 'warn',
  failed: 'fail',
  'not-verified': 'skip',
  'not-covered': 'info',
};

function anchor(id: string): string {
  return `check-${id}`;
}

function reqLinks(ids: string[]): string {
  return ids.map((id) => `<a href="#req-${e(id)}" style="white-space:nowrap">${e(id)}</a>`).join(', ');
}

/** One stacked bar per family: widths proportional to outcomes, labelled with counts. */
function familyBars(r: CheckReport): string {
  const rows = FAMILIES.map((f) => ({ f, checks: r.checks.filter((c) => c.family === f) })).filter(
    (x) => x.checks.length,
  );
  const width = 640;
  const labelW = 260;
  const barW = width - labelW - 10;
  const rowH = 30;
  const parts: string[] = [];
  rows.forEach(({ f, checks }, i) => {
    const y = i * rowH + 6;
    parts.push(
      `<text x="0" y="${y + 15}" font-size="13" fill="#212b32">${e(`${f} ${FAMILY_NAMES[f].split(' (')[0]}`)}</text>`,
    );
    let x = labelW;
    for (const o of ['pass', 'fail', 'error', 'skip'] as Outcome[]) {
      const n = checks.filter((c) => c.outcome === o).length;
      if (!n) continue;
      const w = (n / checks.length) * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="20" fill="${COLOURS[o]}"><title>${n} ${o}</title></rect>`,
      );
      if (w > 22)
        parts.push(
          `<text x="${(x + w / 2).toFixed(1)}" y="${y + 14}" font-size="12" fill="#fff" text-anchor="middle">${n}</text>`,
        );
      x += w;
    }
  });
  const legend = (['pass', 'fail', 'error', 'skip'] as Outcome[])
    .map(
      (o, i) =>
        `<rect x="${labelW + i * 90}" y="${rows.length * rowH + 10}" width="12" height="12" fill="${COLOURS[o]}"/><text x="${labelW + i * 90 + 16}" y="${rows.length * rowH + 20}" font-size="12" fill="#4c6272">${o}</text>`,
    )
    .join('');
  const h = rows.length * rowH + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Outcomes per family" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">${parts.join('')}${legend}</svg>`;
}

function findingsTable(c: ReportCheck): string {
  if (!c.findings.length) return '';
  const rows = c.findings
    .map(
      (f) =>
        `<tr><td>${e(f.title)}${f.pointer !== undefined ? `<br><code>${e(f.pointer || '/')}</code>` : ''}</td><td>${f.received !== undefined ? `<code>${e(f.received)}</code>` : ''}</td><td>${f.expected !== undefined ? `<code>${e(f.expected)}</code>` : ''}</td><td>${e(f.hint)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>finding</th><th>received</th><th>expected</th><th>hint</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function evidenceBlock(c: ReportCheck, open: boolean): string {
  if (!c.evidence.length) return '';
  const items = c.evidence
    .map((ev) => {
      const req = [
        `${ev.request.method} ${ev.request.url}`,
        ...Object.entries(ev.request.headers).map(([k, v]) => `${k}: ${v}`),
      ].join('\n');
      const res = [
        `HTTP ${ev.status} (${ev.latencyMs} ms)`,
        ...Object.entries(ev.headers).map(([k, v]) => `${k}: ${v}`),
        '',
        ev.body,
      ].join('\n');
      return `<h3>${e(ev.label)}</h3><p class="muted">${ev.credentials.map(e).join(' &middot; ')}</p>
<div class="side"><div><strong>request</strong><pre>${e(req)}</pre></div><div><strong>response</strong><pre>${e(res)}</pre></div></div>
<strong>reproduce</strong><pre>${e(ev.curl)}</pre>`;
    })
    .join('');
  return `<details${open ? ' open' : ''}><summary>Evidence (${c.evidence.length} exchange${c.evidence.length === 1 ? '' : 's'}) and curl</summary>${items}</details>`;
}

function failureCard(c: ReportCheck): string {
  return `<section id="${anchor(c.id)}" class="failure">
<h2>${badge(c.outcome.toUpperCase(), OUTCOME_TONE[c.outcome])} ${e(c.id)} ${e(c.title)}</h2>
<p>${badge(c.level, c.level === 'MUST' ? 'fail' : 'warn')} endpoint <code>${e(c.endpoint)}</code> &middot; requirements ${reqLinks(c.requirements)}</p>
<p class="muted">${e(c.description)}</p>
${c.message ? `<p><strong>${e(c.message)}</strong></p>` : ''}
${findingsTable(c)}
<div class="hint"><strong>What to fix:</strong> ${e(c.fix)}</div>
${evidenceBlock(c, false)}
</section>`;
}

function checkRow(c: ReportCheck): string {
  const detail =
    c.outcome === 'pass'
      ? (c.note ?? '')
      : c.outcome === 'skip'
        ? (c.reason ?? '')
        : c.outcome === 'error'
          ? (c.message ?? '')
          : c.findings.map((f) => f.title).join('; ');
  const idCell = c.outcome === 'fail' || c.outcome === 'error' ? `<a href="#${anchor(c.id)}">${e(c.id)}</a>` : e(c.id);
  return `<tr class="${c.outcome}"><td style="white-space:nowrap">${idCell}</td><td>${badge(c.outcome.toUpperCase(), OUTCOME_TONE[c.outcome])}</td><td>${e(c.level)}</td><td>${e(c.title)}</td><td>${reqLinks(c.requirements)}</td><td class="muted">${e(detail)}</td></tr>`;
}

function checksTables(r: CheckReport): string {
  return FAMILIES.map((f: Family) => {
    const mine = r.checks.filter((c) => c.family === f);
    if (!mine.length) return '';
    return `<h3>${e(f)}: ${e(FAMILY_NAMES[f])}</h3><table><thead><tr><th>id</th><th>verdict</th><th>level</th><th>check</th><th>requirements</th><th>detail</th></tr></thead><tbody>${mine.map(checkRow).join('')}</tbody></table>`;
  }).join('');
}

function coverageTable(r: CheckReport): string {
  const rows = r.coverage
    .map((row) => {
      const checks = row.checks.length
        ? row.checks
            .map((c) =>
              c.outcome
                ? `${badge(c.id, OUTCOME_TONE[c.outcome])}`
                : `<span class="badge skip" title="not run">${e(c.id)}</span>`,
            )
            .join(' ')
        : '<span class="muted">none</span>';
      return `<tr id="req-${e(row.id)}"><td style="white-space:nowrap"><a href="${e(row.url)}">${e(row.id)}</a></td><td>${badge(row.status.replace('-', ' '), COVERAGE_TONE[row.status] ?? 'info')}</td><td>${e(row.level)}</td><td><strong>${e(row.title)}</strong><br><span class="muted">${e(row.summary)}</span><br><span class="muted">${e(SOURCE_NAMES[row.source as RequirementSource] ?? row.source)}: ${e(row.section)}</span></td><td>${checks}</td><td class="muted">${e(row.reason ?? '')}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th>requirement</th><th>status</th><th>level</th><th>what it says</th><th>checks</th><th>why not verified</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderCheckHtml(r: CheckReport): string {
  const s = r.summary;
  const failures = r.checks.filter((c) => c.outcome === 'fail' || c.outcome === 'error');
  const verdict = s.passed
    ? `${badge('PASSED', 'pass')} Every MUST check that ran passed.`
    : `${badge('FAILED', 'fail')} ${s.mustFailed.length} MUST check(s) failed: ${s.mustFailed.map((id) => `<a href="#${anchor(id)}">${e(id)}</a>`).join(', ')}.`;
  const cov = (st: string) => r.coverage.filter((c) => c.status === st).length;
  const body = `
<section id="summary">
<h2 style="font-size:22px">${verdict}</h2>
${tiles([
  { label: 'checks passed', value: s.pass, tone: 'pass' },
  { label: 'checks failed', value: s.fail, tone: s.fail ? 'fail' : undefined },
  { label: 'errors', value: s.error, tone: s.error ? 'fail' : undefined },
  { label: 'skipped', value: s.skip },
  { label: 'requirements verified', value: `${cov('verified')} / ${r.coverage.length}` },
])}
<div style="margin-top:14px">${familyBars(r)}</div>
${r.notices.length ? `<ul>${r.notices.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
${r.contractPass ? `<p>${r.contractPass.recorded ? badge('CONTRACT PASS RECORDED', 'pass') : badge('NO CONTRACT PASS', 'warn')} ${e(r.contractPass.recorded ? `for clientId "${r.contractPass.clientId}" at ${r.contractPass.where}` : (r.contractPass.reason ?? ''))}</p>` : ''}
</section>
${failures.length ? `<h2>Failures</h2>${failures.map(failureCard).join('\n')}` : ''}
<section id="checks"><h2>All checks</h2>${checksTables(r)}</section>
<section id="coverage"><h2>Requirement coverage</h2>
<p class="muted">Each requirement of the ${e(SOURCE_NAMES['producer-standard'])} (<a href="${e(SPEC_URLS['producer-standard'])}">spec</a>) and the ${e(SOURCE_NAMES['record-service-api'])} (<a href="${e(SPEC_URLS['record-service-api'])}">spec</a>), the checks that verify it and how they came out. <em>verified</em>: every check passed; <em>failed</em>: a check failed; <em>not verified</em>: its checks were skipped or not run; <em>not covered</em>: no check can verify it through the API (the reason says why).</p>
${coverageTable(r)}</section>
<section id="run"><h2>This run</h2>
<table><tbody>
<tr><th>supplier</th><td><code>${e(r.target.supplierUrl)}</code></td></tr>
${Object.entries(r.target.endpoints)
  .map(([k, v]) => `<tr><th>${e(k)}</th><td><code>${e(v ?? 'not offered')}</code></td></tr>`)
  .join('')}
<tr><th>NHS login</th><td><code>${e(r.target.nhsLogin)}</code></td></tr>
${r.target.platformUrl ? `<tr><th>platform</th><td><code>${e(r.target.platformUrl)}</code> clientId <code>${e(r.target.clientId ?? '-')}</code></td></tr>` : ''}
<tr><th>suites</th><td>${e(r.options.suites.join(', '))}${r.options.only ? ` &middot; only ${e(r.options.only.join(', '))}` : ''}${r.options.includeThrottle ? ' &middot; with throttle burst' : ''}</td></tr>
<tr><th>fixture pack</th><td>${e(r.pack.name)}<ul>${r.pack.patients.map((p) => `<li>${e(p.role)}: ${e(p.patient)}</li>`).join('')}</ul></td></tr>
<tr><th>version</th><td>pca-harness ${e(r.version)}, ${(r.durationMs / 1000).toFixed(1)} s</td></tr>
</tbody></table></section>
<section id="howto"><h2>How to read this report</h2>
<p>Each check sends real requests to the supplier and judges the answers. <strong>Failures</strong> come first: each lists what was received against what was expected (with a JSON pointer into the response), what to fix, and under <em>Evidence</em> the exact exchange and a <code>curl</code> command that reproduces it. Fill in <code>$NHS_NUMBER</code>, <code>$ACCESS_TOKEN</code> and <code>$NHSD_ID_TOKEN</code> as the comments above the command say. NHS numbers are masked throughout; tokens are never written.</p>
<p>Only MUST checks that fail (or error) fail the run. A skip is never a pass: it says what was missing (a patient in the pack, an opt-in, the platform).</p></section>`;
  return renderHtmlPage({
    title: `pca-harness check: ${s.passed ? 'PASSED' : 'FAILED'}`,
    subtitle: `${r.target.supplierUrl} · ${s.pass} passed, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors`,
    body,
    generatedAt: r.generatedAt,
  });
}
