/**
 * `runChecks`: the conformance catalogue against a supplier as one library call. It brings up what
 * the run needs (the NHS login mock when no platform is given, the forgery key), runs runCheck,
 * records the contract pass when asked, and writes report.json, junit.xml and report.html only
 * when `reportDir` is given. `pca-harness check` and `demo` are thin callers.
 */
import path from 'node:path';
import { httpUrl, type SupplierAccess, supplierAccess } from '../../core/access';
import type { Clock } from '../../core/clock';
import { DEFAULT_CONFIG } from '../../core/config';
import { KeyRing } from '../../core/keys';
import { DEFAULT_PATHS } from '../../core/resource-types';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { FixturePack } from '../../fixtures/pack';
import { openNhsLogin, type PlatformRef } from '../access/nhs-login-session';

export type { PlatformRef };
import { type CheckReport } from '../report/check-report';
import { renderCheckHtml } from '../report/check-html';
import { checkJUnitSuites, renderCheckJUnit } from '../report/check-junit';
import { writeReportFiles } from '../report/files';
import { type Finding, type RunResult, tallyJUnit } from '../report/result';
import type { SuiteName } from './check';
import { recordContractPass } from './contract-pass';
import { type EndpointPaths, runCheck } from './run-check';
import type { RunOptions } from './runner';

/** A key that is never in any JWKS: what forged ID tokens are signed with. */
const FORGERY_KEY = 'check-forgery';

export interface RunChecksOptions {
  /** Base URL of the supplier's API. */
  supplierUrl: string;
  /** The endpoints the supplier offers and their paths; default all three at the standard's paths. */
  paths?: EndpointPaths;
  /** How to get access tokens; default client credentials at `{supplierUrl}/oauth2/token` with the default client. */
  access?: SupplierAccess;
  /**
   * The platform whose NHS login mints the ID tokens (a URL, or `startPlatform`'s handle). Without
   * one, the NHS login mock is started for the run on `nhsLoginIssuer`.
   */
  platform?: string | PlatformRef;
  /** Without `platform`: the issuer the supplier trusts; default http://127.0.0.1:7070/nhs-login. */
  nhsLoginIssuer?: string;
  /** Your PCA clientId: RS checks judge its uploads (needs `platform`), and a passing run records the contract pass. */
  recordsClientId?: string;
  /** RS checks: judge uploads since this ISO date-time. */
  since?: string;
  /** Default: the embedded default pack, built for today. */
  pack?: FixturePack;
  /** Suites to run (`schema`, `rules`); default all. */
  suites?: SuiteName[];
  /** Only these check ids or families (`GA-07`, `DR`). */
  only?: string[];
  /** Send the short, bounded burst above 60 TPS the 429 checks need. */
  includeThrottle?: boolean;
  /** The supplier reports MIv2 events: its deep links must carry extSystemName and trackingId (XX-37). */
  reportsMiv2Events?: boolean;
  /** Where keys persist (NHS login key when no platform, forgery key); default in memory. */
  stateDir?: string;
  /** When given, report.json, junit.xml and report.html are written there. */
  reportDir?: string;
  /** Things to show in the report's notices, before the run's own. */
  notices?: string[];
  onResult?: RunOptions['onResult'];
  clock?: Clock;
}

/** Also says which NHS login the run used and what it noticed on the way. */
export type ChecksResult = RunResult<CheckReport>;

/**
 * Runs the conformance checks (schema and rules) against a supplier's API.
 *
 * @example
 * ```ts
 * import { runChecks, startPlatform, startReferenceSupplier } from 'pca-harness';
 * const platform = await startPlatform();
 * const supplier = await startReferenceSupplier({ nhsLoginIssuer: platform.issuer });
 * const result = await runChecks({ supplierUrl: supplier.url, platform });
 * expect(result.findings.filter((f) => f.level === 'MUST')).toEqual([]);
 * ```
 */
export async function runChecks(opts: RunChecksOptions): Promise<ChecksResult> {
  const supplierUrl = httpUrl('supplierUrl', opts.supplierUrl);
  const access = opts.access ?? supplierAccess(supplierUrl, {}, DEFAULT_CONFIG.supplier);
  const pack = opts.pack ?? buildDefaultPack(opts.clock?.now() ?? new Date());
  const keys = new KeyRing(opts.stateDir);
  const platform: PlatformRef | undefined =
    typeof opts.platform === 'string' ? { url: httpUrl('platform', opts.platform) } : opts.platform;
  const notices = [...(opts.notices ?? [])];
  const nhsLogin = await openNhsLogin({
    ...(platform ? { platform } : {}),
    issuer: opts.nhsLoginIssuer ?? DEFAULT_CONFIG.supplier.nhsLoginIssuer,
    stateDir: opts.stateDir,
    pack,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  if (nhsLogin.notice) notices.push(nhsLogin.notice);
  if (opts.recordsClientId && !platform)
    notices.push(
      "RS checks need a platform as well as a records clientId: they read what the platform's Record Service saw",
    );
  try {
    const { report } = await runCheck({
      supplierUrl,
      paths: opts.paths ?? { ...DEFAULT_PATHS },
      access,
      nhsLogin,
      forgeryKey: await keys.get(FORGERY_KEY),
      ...(platform && opts.recordsClientId
        ? {
            platform: {
              url: platform.url,
              clientId: opts.recordsClientId,
              ...(platform.adminToken ? { adminToken: platform.adminToken } : {}),
              ...(opts.since ? { since: opts.since } : {}),
            },
          }
        : {}),
      pack,
      selection: { ...(opts.suites ? { suites: opts.suites } : {}), ...(opts.only ? { only: opts.only } : {}) },
      includeThrottle: Boolean(opts.includeThrottle),
      reportsMiv2Events: Boolean(opts.reportsMiv2Events),
      notices,
      ...(opts.onResult ? { onResult: opts.onResult } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    const reportDir = opts.reportDir ? path.resolve(opts.reportDir) : undefined;
    // A pass is recorded on the platform, else in the state dir; with neither there is nowhere to keep it.
    if (platform || opts.stateDir)
      report.contractPass = await recordContractPass({
        report,
        clientId: opts.recordsClientId,
        platformUrl: platform?.url,
        ...(platform?.adminToken ? { adminToken: platform.adminToken } : {}),
        stateDir: opts.stateDir ?? '',
        ...(reportDir ? { reportPath: path.join(reportDir, 'report.json') } : {}),
      });
    const files = reportDir
      ? await writeReportFiles(reportDir, {
          'report.json': `${JSON.stringify(report, null, 2)}\n`,
          'junit.xml': renderCheckJUnit(report),
          'report.html': renderCheckHtml(report),
        })
      : undefined;
    const junit = checkJUnitSuites(report);
    const { counts, warnings } = tallyJUnit(junit);
    const findings: Finding[] = report.checks
      .filter((c) => c.outcome === 'fail' || c.outcome === 'error')
      .map((c) => ({
        kind: c.outcome === 'fail' ? 'failure' : 'error',
        name: `${c.id} ${c.title}`,
        message: c.findings.map((f) => f.title).join('; ') || c.message || c.outcome,
        level: c.level,
      }));
    const must = report.checks.filter((c) => c.level === 'MUST' && c.outcome !== 'skip');
    return {
      verdict: report.summary.passed ? 'pass' : 'fail',
      headline: `${must.filter((c) => c.outcome === 'pass').length} of ${must.length} MUST checks passed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`,
      counts,
      ...(warnings.length ? { warnings } : {}),
      findings,
      report,
      junit,
      ...(files ? { files } : {}),
    };
  } finally {
    await nhsLogin.close();
  }
}
