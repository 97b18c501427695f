/**
 * Reading a running platform's Record Service from outside: the verdicts of recent calls (for
 * `pca-harness explain`) and reconciliation counts (for `pca-harness reconcile`), and rendering
 * them for a person. NHS numbers stay masked except where a supplier asks for its own full list.
 */
import { adminHeaders } from '../../core/admin-token';
import { fetchWithTimeout } from '../../core/http';
import { maskNhsNumber } from '../../core/nhs-number';
import { isProblem } from './catalogue';
import type { RecordsCallVerdict } from './verdict';
import { ExitCode, HarnessError } from '../../core/errors';

export class PlatformResponseError extends HarnessError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, ExitCode.usage);
    this.name = 'PlatformResponseError';
  }
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** How a client reaches the admin routes: the admin token, needed when the platform listens beyond loopback. */
export interface AdminAccess {
  adminToken?: string;
}

async function getJson<T>(url: string, what: string, access: AdminAccess = {}): Promise<T> {
  const res = await fetchWithTimeout<T & { data?: string; message?: string }>(url, {
    timeoutMs: 30_000,
    headers: { accept: 'application/json', ...adminHeaders(access.adminToken) },
  });
  if (res.status === 404 && !res.json) {
    throw new PlatformResponseError(`${url} answered 404: is this the pca-harness platform (pca-harness serve)?`, 404);
  }
  if (res.status !== 200 || !res.json) {
    const why = res.json?.data ?? res.json?.message ?? res.text.slice(0, 200);
    throw new PlatformResponseError(
      `${what} failed: ${url} answered ${res.status}${why ? `: ${why}` : ''}`,
      res.status,
    );
  }
  return res.json;
}

export interface VerdictQuery {
  clientId?: string;
  since?: Date;
  limit?: number;
}

/** Verdicts oldest first (the endpoint answers newest first). */
export async function fetchVerdicts(
  platformUrl: string,
  q: VerdictQuery = {},
  access: AdminAccess = {},
): Promise<RecordsCallVerdict[]> {
  const params = new URLSearchParams();
  if (q.clientId) params.set('clientId', q.clientId);
  if (q.since) params.set('since', q.since.toISOString());
  if (q.limit) params.set('limit', String(q.limit));
  const qs = params.toString();
  const body = await getJson<{ verdicts: RecordsCallVerdict[] }>(
    `${base(platformUrl)}/_harness/records/diagnostics${qs ? `?${qs}` : ''}`,
    'reading diagnostics',
    access,
  );
  return [...body.verdicts].reverse();
}

export interface Reconciliation {
  clientId: string;
  knownClient: boolean;
  until: string;
  asOf: string;
  distinctNhsNumbers: number;
}

export async function fetchReconciliation(
  platformUrl: string,
  clientId: string,
  until?: Date,
  access: AdminAccess = {},
): Promise<Reconciliation> {
  const params = new URLSearchParams({ clientId });
  if (until) params.set('until', until.toISOString());
  return getJson<Reconciliation>(
    `${base(platformUrl)}/_harness/records/reconciliation?${params.toString()}`,
    'reading the reconciliation count',
    access,
  );
}

/** Every NHS number registered for a client up to `until`, unmasked, page by page. */
export async function fetchRegisteredNumbers(
  platformUrl: string,
  clientId: string,
  until?: Date,
  pageSize = 50_000,
  access: AdminAccess = {},
): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const params = new URLSearchParams({ clientId, full: '1', limit: String(pageSize) });
    if (until) params.set('until', until.toISOString());
    if (after) params.set('after', after);
    const page = await getJson<{ nhsNumbers: string[]; next?: string }>(
      `${base(platformUrl)}/_harness/records/reconciliation?${params.toString()}`,
      'reading registered NHS numbers',
      access,
    );
    out.push(...page.nhsNumbers);
    if (!page.next) return out;
    after = page.next;
  }
}

export function hasProblem(v: RecordsCallVerdict): boolean {
  return v.reasons.some((r) => isProblem(r.code));
}

/** Word-wraps `text` to `width` columns: the first line after `first`, the rest after `rest`. */
function wrap(first: string, text: string, rest: string, width = 100): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = `${rest}${w}`;
    } else line = empty ? `${line}${w}` : `${line} ${w}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** The verdicts as a person reads them: each call, then each reason with what happened and the fix. */
export function renderVerdicts(
  verdicts: readonly RecordsCallVerdict[],
  context: { url: string; clientId?: string; since?: Date },
): string {
  const scope = [
    context.clientId ? `clientId "${context.clientId}"` : '',
    context.since ? `since ${context.since.toISOString()}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (verdicts.length === 0) {
    return `No /records calls recorded at ${context.url}${scope ? ` (${scope})` : ''}.\nSend one, then run explain again.\n`;
  }
  const out: string[] = [
    `Record Service calls at ${context.url}${scope ? ` (${scope})` : ''}: ${verdicts.length}, oldest first`,
    '',
  ];
  for (const v of verdicts) {
    const who =
      v.clientId === null ? 'no clientId' : `clientId "${v.clientId}"${v.resourceType ? ` (${v.resourceType})` : ''}`;
    out.push(`#${v.id}  ${v.at}  ${v.method} ${v.path}  ${who}  -> ${v.status}`);
    out.push(`    ${v.summary}`);
    for (const r of v.reasons) {
      const label = isProblem(r.code) ? 'PROBLEM' : 'NOTE';
      out.push(wrap(`    ${label} ${r.code}: `, r.title, '      '));
      out.push(wrap('      what: ', r.detail, '            '));
      out.push(wrap('      fix:  ', r.fix, '            '));
    }
    out.push('');
  }
  const count = (o: RecordsCallVerdict['outcome']) => verdicts.filter((v) => v.outcome === o).length;
  out.push(
    `${verdicts.length} call(s): ${count('registered')} registered everything sent, ${count('partly-registered')} partly, ${count('nothing-registered')} nothing, ${count('faulted')} failed by injected faults.`,
  );
  return `${out.join('\n')}\n`;
}

export interface ReconcileInput {
  expected: number;
  /** The numbers the supplier says it sent, when it gave them: the comparison then names the missing ones. */
  sent?: readonly string[];
}

export interface ReconcileResult {
  clientId: string;
  until: string;
  expected: number;
  actual: number;
  matches: boolean;
  /** With `sent`: numbers sent but not registered, and registered but not in `sent` (both unmasked, for replay). */
  missing?: string[];
  unexpected?: string[];
}

export function compareReconciliation(
  rec: Reconciliation,
  input: ReconcileInput,
  registered?: readonly string[],
): ReconcileResult {
  const result: ReconcileResult = {
    clientId: rec.clientId,
    until: rec.until,
    expected: input.expected,
    actual: rec.distinctNhsNumbers,
    matches: rec.distinctNhsNumbers === input.expected,
  };
  if (input.sent && registered) {
    const held = new Set(registered);
    const sent = new Set(input.sent);
    result.missing = [...sent].filter((n) => !held.has(n)).sort();
    result.unexpected = [...held].filter((n) => !sent.has(n)).sort();
    result.matches = result.matches && result.missing.length === 0 && result.unexpected.length === 0;
  }
  return result;
}

export function renderReconciliation(r: ReconcileResult, knownClient: boolean): string {
  const lines = [
    `Reconciliation for clientId "${r.clientId}" up to ${r.until}`,
    `  the supplier says it sent  ${r.expected} distinct NHS number(s)`,
    `  the Record Service holds   ${r.actual}`,
  ];
  if (!knownClient) lines.push(`  (clientId "${r.clientId}" is not a registered client of this platform)`);
  const sample = (xs: readonly string[]) =>
    xs.slice(0, 10).map(maskNhsNumber).join(', ') + (xs.length > 10 ? `, ... (${xs.length - 10} more)` : '');
  if (r.missing && r.missing.length)
    lines.push(`  missing (sent, not registered): ${r.missing.length}: ${sample(r.missing)}`);
  if (r.unexpected && r.unexpected.length)
    lines.push(`  registered but not in the supplier's list: ${r.unexpected.length}: ${sample(r.unexpected)}`);
  if (r.matches) lines.push('MATCH: the counts agree.');
  else if (r.actual < r.expected)
    lines.push(
      `MISMATCH: ${r.expected - r.actual} fewer registered than sent. Replay what was not acknowledged with 200 (WF-NFR-RS-02/06), then reconcile again.`,
    );
  else if (r.actual > r.expected)
    lines.push(
      `MISMATCH: ${r.actual - r.expected} more registered than the supplier counts. Check the supplier's count covers every batch up to this time (including replays and other processes).`,
    );
  else lines.push('MISMATCH: the counts agree but the lists differ.');
  return `${lines.join('\n')}\n`;
}

export interface ExplainRecordsOptions extends VerdictQuery {
  /** The platform's base URL (or `startPlatform`'s handle); `adminToken` for a platform bound beyond loopback. */
  platform: string | { url: string; adminToken?: string };
}

export interface ExplainRecordsResult {
  /** `fail` when at least one call had a problem (not only notes). */
  verdict: 'pass' | 'fail';
  /** Each `POST /records` call with what registered and every reason with its fix, oldest first (NHS numbers masked). */
  calls: RecordsCallVerdict[];
  /** How many of the calls had a problem. */
  problems: number;
  /** The calls as `pca-harness explain` prints them. */
  text: string;
}

/**
 * Why recent `POST /records` calls did or did not register patients, each reason with its fix, read
 * from a running platform's diagnostics.
 *
 * @example
 * ```ts
 * import { explainRecords } from 'pca-harness';
 * const { verdict, text } = await explainRecords({ platform, clientId: 'acme-appointments' });
 * if (verdict === 'fail') console.log(text);
 * ```
 */
export async function explainRecords(opts: ExplainRecordsOptions): Promise<ExplainRecordsResult> {
  const url = base(typeof opts.platform === 'string' ? opts.platform : opts.platform.url);
  const adminToken = typeof opts.platform === 'string' ? undefined : opts.platform.adminToken;
  const calls = await fetchVerdicts(url, opts, { adminToken });
  const problems = calls.filter(hasProblem).length;
  return {
    verdict: problems ? 'fail' : 'pass',
    calls,
    problems,
    text: renderVerdicts(calls, {
      url,
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
      ...(opts.since ? { since: opts.since } : {}),
    }),
  };
}
