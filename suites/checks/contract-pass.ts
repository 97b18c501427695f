/**
 * Recording a contract pass, which the aggregator's "pulls require contract pass" setting
 * (clients[].requireContractPass) waits for: on a running platform with
 * `POST /_harness/clients/{clientId}/contract-pass`, otherwise in `<stateDir>/contract-pass.json`
 * for the next `serve` to read. Only a full run (every suite, no --only) with no MUST failure counts.
 */
import { adminHeaders } from '../../core/admin-token';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fetchWithTimeout } from '../../core/http';
import { CONTRACT_PASS_FILE, type ContractPassFile } from '../../mocks/aggregator/contract-passes';
import { SUITES, passes } from './check';

export { CONTRACT_PASS_FILE, type ContractPassFile };
import type { CheckReport, ContractPassRecord } from '../report/check-report';

export interface RecordPassOptions {
  report: CheckReport;
  clientId?: string;
  platformUrl?: string;
  /** The platform's admin token, when it listens beyond loopback. */
  adminToken?: string;
  stateDir: string;
  /** Where report.json was written, passed along for people reading the pass. */
  reportPath?: string;
}

/** Why this run cannot count as a contract pass, or undefined when it can. */
export function contractPassBlocker(report: CheckReport, clientId: string | undefined): string | undefined {
  if (!report.summary.passed) return `MUST checks failed: ${report.summary.mustFailed.join(', ')}`;
  if (report.options.only) return 'only part of the catalogue ran (--only); run every check to record a pass';
  if (SUITES.some((s) => !report.options.suites.includes(s)))
    return 'only some suites ran (--suites); run every suite to record a pass';
  if (!report.checks.some((c) => c.endpoint !== 'RecordService' && passes(c.outcome)))
    return 'no producer check passed (every endpoint was skipped)';
  if (!clientId) return 'give --client-id (your PCA clientId) to record the pass for it';
  return undefined;
}

export async function recordContractPass(opts: RecordPassOptions): Promise<ContractPassRecord> {
  const blocker = contractPassBlocker(opts.report, opts.clientId);
  if (blocker) return { recorded: false, reason: blocker };
  const clientId = opts.clientId!;
  const detail = {
    suites: opts.report.options.suites,
    supplier: opts.report.target.supplierUrl,
    summary: { pass: opts.report.summary.pass, skip: opts.report.summary.skip, total: opts.report.summary.total },
    ...(opts.reportPath ? { report: opts.reportPath } : {}),
  };
  if (opts.platformUrl) {
    const url = `${opts.platformUrl.replace(/\/$/, '')}/_harness/clients/${encodeURIComponent(clientId)}/contract-pass`;
    const res = await fetchWithTimeout<{ message?: unknown }>(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...adminHeaders(opts.adminToken) },
      body: JSON.stringify(detail),
    });
    if (res.status !== 200) {
      return {
        recorded: false,
        clientId,
        reason: `the platform answered ${res.status} to POST ${url}: ${String(res.json?.message ?? res.text.slice(0, 200))}`,
      };
    }
    return { recorded: true, clientId, where: url };
  }
  const file = path.resolve(opts.stateDir, CONTRACT_PASS_FILE);
  let current: ContractPassFile = { passes: [] };
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<ContractPassFile>;
    if (Array.isArray(parsed.passes)) current = { passes: parsed.passes };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
  }
  const entry = {
    clientId,
    passedAt: opts.report.generatedAt,
    supplierUrl: opts.report.target.supplierUrl,
    summary: detail.summary,
    ...(opts.reportPath ? { report: opts.reportPath } : {}),
  };
  current.passes = [...current.passes.filter((p) => p.clientId !== clientId), entry];
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(current, null, 2)}\n`);
  await fs.rename(tmp, file);
  return { recorded: true, clientId, where: file };
}
