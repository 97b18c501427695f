/**
 * The console text of a replay: where it ran, who was registered and pulled, what a person should
 * know, then the EVA summary (suites/eva/report.ts) and, when registrations are missing, the Record
 * Service's own account of the /records calls it saw. NHS numbers stay masked throughout.
 */
import { slowestLine } from '../../core/deadline';
import { redactText } from '../../core/redact';
import { consoleSummary } from '../eva/report';
import type { ReplayResult } from './replay';

const REASON_TEXT: Record<string, string> = {
  'under-16': 'under 16',
  sensitive: 'sensitive',
  'excluded-by-trust': 'excluded by the trust',
};

export function renderReplaySummary(r: ReplayResult): string {
  const lines: string[] = [];
  const where = r.platform.startedByReplay ? 'started by replay' : 'already running';
  lines.push(`Replay of pack "${r.run.pack ?? ''}" against ${r.run.supplier ?? ''}`);
  lines.push(
    `  platform   ${r.platform.url} (${where}), NHS login issuer ${r.platform.issuer}, ${r.platform.rate} pulls/s`,
  );
  const skipped = Object.entries(r.registration.skipped)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${n} ${REASON_TEXT[k] ?? k}`);
  const who = r.upload === 'self' ? 'by replay' : 'by your upload client';
  lines.push(
    `  patients   ${r.registration.eligible} of ${r.registration.patients} eligible${skipped.length ? ` (not sent: ${skipped.join(', ')})` : ''}, registered ${who}:`,
  );
  for (const c of r.clients)
    lines.push(
      `             ${c.clientId} (${c.resourceType}, pulled from ${c.path}): ${c.registered} of ${r.registration.eligible}`,
    );
  lines.push(
    `  pulls      ${r.pulls.finished} of ${r.pulls.expected} finished, ${r.pulls.failed} failed${r.pulls.schemaInvalid ? `, ${r.pulls.schemaInvalid} failed the producer schema` : ''}${r.pulls.stalled ? ', stalled' : ''}`,
  );
  const d = r.run.deadline;
  if (d) {
    lines.push(
      `  deadline   producer:WF-NFR-02: ${d.lateCount} late answer(s) not a 504 with an OperationOutcome (deadline ${d.deadlineMs.toLocaleString('en-GB')} ms, pulls wait ${d.clientTimeoutMs.toLocaleString('en-GB')} ms); slowest: ${slowestLine(d.slowest)}`,
    );
    for (const l of d.late) lines.push(`             ${l.endpoint}, ${l.label}: ${l.problem}`);
  }
  if (r.notices.length) {
    lines.push('');
    for (const n of r.notices) lines.push(`note: ${redactText(n)}`);
  }
  if (r.explain) {
    lines.push('');
    lines.push('What the Record Service saw during the run (pca-harness explain):');
    lines.push(r.explain.trimEnd());
  }
  lines.push('');
  // With nothing registered every comparison fails the same way: a few show it, the reports list all.
  lines.push(consoleSummary(r.run, r.registration.nothingArrived ? { maxDetailed: 3 } : {}).trimEnd());
  if (r.files) {
    lines.push('');
    lines.push('Reports:');
    for (const f of Object.values(r.files)) lines.push(`  ${f}`);
  }
  lines.push('');
  const warned = r.run.verdicts.filter((v) => v.verdict === 'warn').length;
  lines.push(
    r.outcome === 'passed'
      ? `REPLAY PASS: every patient's pulls match what the pack expects${warned ? ` (${warned} with warnings: the supplier took another reading of a contradicting spec, see WARN above)` : ''}.`
      : r.outcome === 'unreachable'
        ? 'REPLAY FAIL: the supplier did not answer the pulls.'
        : (d?.lateCount ?? 0) > 0 && r.run.totals.passed
          ? 'REPLAY FAIL: every comparison matched, but the supplier answered late without a 504 (see deadline above).'
          : 'REPLAY FAIL: see the differences and errors above.',
  );
  return `${lines.join('\n')}\n`;
}
