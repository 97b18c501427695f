/**
 * `runLoad`: a load profile against a target as one library call, resolving to the common result
 * shape. load.json, junit.xml and load.html are written only when `reportDir` is given.
 * `pca-harness load` and `demo` are thin callers.
 */
import path from 'node:path';
import type { SupplierAccess } from '../core/access';
import { httpUrl } from '../core/access';
import { buildDefaultPack } from '../fixtures/default-pack';
import type { FixturePack } from '../fixtures/pack';
import type { PlatformRef } from '../suites/access/nhs-login-session';
import { type RunResult, tallyJUnit } from '../suites/report/result';
import { loadJUnitSuites, writeLoadReport } from './report';
import { type LoadReport, type LoadRunOptions, runLoadProfile } from './run-profile';

export interface RunLoadOptions extends Omit<LoadRunOptions, 'bearer' | 'credentials' | 'platformUrl' | 'pack'> {
  /** How to authenticate to the target: a token (for records: the API key) or client credentials. */
  access?: SupplierAccess;
  /** The platform whose NHS login mints the ID tokens (URL or `startPlatform`'s handle); without one a mock is started. */
  platform?: string | PlatformRef;
  /** Default: the embedded default pack, built for today. */
  pack?: FixturePack;
  /** When given, load.json, junit.xml and load.html are written there. */
  reportDir?: string;
}

/**
 * Runs a load profile (default `default`: 25 TPS, P95 budget) and judges its thresholds.
 *
 * @example
 * ```ts
 * import { runLoad } from 'pca-harness';
 * const result = await runLoad({ target: supplier.url, platform, overrides: { durationMs: 5_000 } });
 * console.log(result.verdict, result.report.result.latency.p95);
 * ```
 */
export async function runLoad(opts: RunLoadOptions): Promise<RunResult<LoadReport>> {
  const { access, platform, pack, reportDir, ...rest } = opts;
  const report = await runLoadProfile({
    ...rest,
    pack: pack ?? buildDefaultPack(opts.on ?? new Date()),
    ...(access?.type === 'static' ? { bearer: access.token } : {}),
    ...(access?.type === 'client_credentials'
      ? { credentials: { tokenUrl: access.tokenUrl, clientId: access.clientId, clientSecret: access.clientSecret } }
      : {}),
    ...(platform ? { platformUrl: typeof platform === 'string' ? httpUrl('platform', platform) : platform.url } : {}),
    ...(platform && typeof platform !== 'string' && platform.adminToken && !rest.adminToken
      ? { adminToken: platform.adminToken }
      : {}),
  });
  const files = reportDir ? await writeLoadReport(path.resolve(reportDir), report) : undefined;
  const junit = loadJUnitSuites(report);
  const { counts, warnings, findings } = tallyJUnit(junit);
  return {
    verdict: report.pass ? 'pass' : 'fail',
    headline: `${report.result.achievedRate.toFixed(1)} req/s, P95 ${report.result.latency.p95.toFixed(0)} ms; ${counts.passed} of ${junit.reduce((n, s) => n + s.cases.length, 0)} thresholds met`,
    counts,
    ...(warnings.length ? { warnings } : {}),
    findings,
    report,
    junit,
    ...(files ? { files } : {}),
  };
}
