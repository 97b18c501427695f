/**
 * junit.xml for a check run: one testsuite per family, one testcase per check. Failure messages
 * carry the findings, the fix, the evidence and the curl command, so a CI page is enough to act.
 */
import { FAMILY_NAMES } from '../checks/check';
import { FAMILIES } from '../checks/catalogue';
import type { CheckReport, ReportCheck } from './check-report';
import { type JUnitCase, renderJUnit } from './junit';

function evidenceText(c: ReportCheck): string {
  return c.evidence
    .map((e) =>
      [
        `--- ${e.label}: ${e.request.method} ${e.request.url} -> ${e.status} (${e.latencyMs} ms)`,
        ...e.credentials.map((x) => `    ${x}`),
        ...Object.entries(e.headers).map(([k, v]) => `    < ${k}: ${v}`),
        e.body
          .split('\n')
          .slice(0, 40)
          .map((l) => `    ${l}`)
          .join('\n'),
        'reproduce:',
        e.curl,
      ].join('\n'),
    )
    .join('\n\n');
}

function failureBody(c: ReportCheck): string {
  const lines = [`${c.id} [${c.level}] ${c.title}`, `requirements: ${c.requirements.join(', ')}`, ''];
  for (const f of c.findings) {
    lines.push(`- ${f.title}${f.pointer ? ` at ${f.pointer}` : ''}`);
    if (f.received !== undefined) lines.push(`  received: ${f.received}`);
    if (f.expected !== undefined) lines.push(`  expected: ${f.expected}`);
    lines.push(`  hint: ${f.hint}`);
  }
  if (c.message) lines.push(c.message);
  lines.push('', `fix: ${c.fix}`, '', evidenceText(c));
  return lines.join('\n');
}

export function toJUnitCase(c: ReportCheck): JUnitCase {
  const base: JUnitCase = {
    name: `${c.id} ${c.title}`,
    classname: `pca-harness.check.${c.family}`,
    timeSeconds: c.durationMs / 1000,
  };
  switch (c.outcome) {
    case 'fail':
      return {
        ...base,
        failure: {
          message: `[${c.level}] ${c.findings.map((f) => f.title).join('; ')}`,
          type: c.level,
          body: failureBody(c),
        },
      };
    case 'error':
      return { ...base, error: { message: c.message ?? 'error', type: 'error', body: failureBody(c) } };
    case 'skip':
      return { ...base, skipped: { message: c.reason ?? 'skipped' } };
    default:
      return { ...base, ...(c.note ? { systemOut: c.note } : {}) };
  }
}

export function renderCheckJUnit(r: CheckReport): string {
  const suites = FAMILIES.map((f) => ({
    name: `${f} ${FAMILY_NAMES[f]}`,
    timestamp: r.generatedAt.replace(/\.\d+Z$/, ''),
    properties: { supplier: r.target.supplierUrl, suites: r.options.suites.join(',') },
    cases: r.checks.filter((c) => c.family === f).map(toJUnitCase),
  })).filter((s) => s.cases.length > 0);
  return renderJUnit(suites, 'pca-harness check');
}
