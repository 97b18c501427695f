/**
 * The console summary of a check run: grouped by family, failures first, each failure with what
 * was received, what was expected and what to fix; passes folded into one line per family.
 */
import { FAMILY_NAMES, type Family } from '../checks/check';
import { FAMILIES } from '../checks/catalogue';
import type { CheckReport, ReportCheck } from './check-report';

const RANK: Record<ReportCheck['outcome'], number> = { fail: 0, error: 1, skip: 2, pass: 3 };

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function renderFailure(c: ReportCheck, showCurl: boolean): string[] {
  const lines = [
    `  ${c.outcome === 'fail' ? 'FAIL ' : 'ERROR'} ${c.id} [${c.level}] ${c.title}  (${c.requirements.join(', ')})`,
  ];
  if (c.outcome === 'error') lines.push(`        ${c.message}`);
  for (const f of c.findings.slice(0, 5)) {
    lines.push(`        - ${f.title}${f.pointer ? ` at ${f.pointer}` : ''}`);
    if (f.received !== undefined) lines.push(`          received: ${f.received}`);
    if (f.expected !== undefined) lines.push(`          expected: ${f.expected}`);
  }
  if (c.findings.length > 5) lines.push(`        ... and ${c.findings.length - 5} more finding(s) in the report`);
  lines.push(`        fix: ${c.fix}`);
  const ev = c.evidence[0];
  if (showCurl && ev && c.outcome === 'fail') lines.push('        reproduce:', indent(ev.curl, 10));
  return lines;
}

export interface ConsoleOptions {
  /** Print a curl command under each failure (the reports always carry them). */
  curl?: boolean;
  reportFiles?: Record<string, string>;
}

export function renderConsoleSummary(r: CheckReport, opts: ConsoleOptions = {}): string {
  const s = r.summary;
  const out: string[] = [];
  out.push(
    `pca-harness check ${r.target.supplierUrl}: ${s.total} checks, ${s.pass} passed, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors (${(r.durationMs / 1000).toFixed(1)} s)`,
  );
  for (const n of r.notices) out.push(`note: ${n}`);
  // Families with failures first; otherwise catalogue order.
  const families = [...FAMILIES].sort((a, b) => failing(r, a) - failing(r, b));
  for (const f of families) {
    const mine = r.checks.filter((c) => c.family === f).sort((a, b) => RANK[a.outcome] - RANK[b.outcome]);
    if (mine.length === 0) continue;
    const n = (o: ReportCheck['outcome']) => mine.filter((c) => c.outcome === o).length;
    out.push(
      '',
      `${f}  ${FAMILY_NAMES[f as Family]}: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped, ${n('error')} errors`,
    );
    for (const c of mine.filter((x) => x.outcome === 'fail' || x.outcome === 'error'))
      out.push(...renderFailure(c, opts.curl ?? true));
    const skipped = mine.filter((c) => c.outcome === 'skip');
    // Skips that share a reason print once.
    const byReason = new Map<string, string[]>();
    for (const c of skipped) byReason.set(c.reason ?? '', [...(byReason.get(c.reason ?? '') ?? []), c.id]);
    for (const [reason, ids] of byReason) out.push(`  skip  ${ids.join(', ')}: ${reason}`);
    const passed = mine.filter((c) => c.outcome === 'pass').map((c) => c.id);
    if (passed.length) out.push(`  pass  ${passed.join(', ')}`);
  }
  const uncovered = r.coverage.filter((c) => c.status === 'failed').map((c) => c.id);
  out.push('');
  if (uncovered.length) out.push(`requirements not met: ${uncovered.join(', ')}`);
  if (r.contractPass) {
    out.push(
      r.contractPass.recorded
        ? `contract pass recorded for clientId "${r.contractPass.clientId}" at ${r.contractPass.where}`
        : `contract pass not recorded: ${r.contractPass.reason}`,
    );
  }
  if (opts.reportFiles) out.push(`reports: ${Object.values(opts.reportFiles).join(', ')}`);
  out.push(
    s.passed
      ? `PASSED: every MUST check that ran passed${s.shouldFailed.length ? ` (SHOULD failures: ${s.shouldFailed.join(', ')})` : ''}${s.skip ? `; ${s.skip} skipped (see above)` : ''}`
      : `FAILED: ${s.mustFailed.length} MUST check(s) failed: ${s.mustFailed.join(', ')}`,
  );
  return `${out.join('\n')}\n`;
}

function failing(r: CheckReport, f: Family): number {
  return r.checks.some((c) => c.family === f && (c.outcome === 'fail' || c.outcome === 'error')) ? 0 : 1;
}
