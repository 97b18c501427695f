/**
 * `verifyContract`: a supplier's API verified against the PCA -> PCA-Supplier pact with the real
 * Pact verifier, as one library call: the pact (shipped, a file, or the broker's), the provider
 * states (from the pack or the supplier's own endpoint), the tokens, and optionally publishing the
 * results. verify.json, junit.xml and verifier-output.txt are written only when `reportDir` is given.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { httpUrl, type SupplierAccess, supplierAccess } from '../../core/access';
import type { Clock } from '../../core/clock';
import { DEFAULT_CONFIG } from '../../core/config';
import { UsageError } from '../../core/errors';
import type { ProducerResourceType } from '../../core/fhir';
import { version } from '../../core/version';
import {
  type BrokerConfig,
  type BrokerPact,
  BrokerError,
  displayUrl,
  fetchLatestPact,
  publishVerificationResults,
} from '../../contracts/pact/broker';
import { PCA, PCA_SUPPLIER, shippedPact, SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { renderPact } from '../../contracts/pact/pact-file';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { FixturePack } from '../../fixtures/pack';
import { createCredentials } from '../access/credentials';
import { openNhsLogin, type PlatformRef } from '../access/nhs-login-session';
import { writeReportFiles } from '../report/files';
import { type RunResult, tallyJUnit } from '../report/result';
import { packStates, remoteStates } from './states';
import { verifySupplier } from './verify';
import {
  buildVerifyReport,
  type PublishInfo,
  renderVerifyJUnit,
  type VerifyReport,
  verifyJUnitSuites,
} from './verify-report';
import { VerifierRunError } from './verifier-results';

export interface VerifyContractOptions {
  supplierUrl: string;
  /** The supplier's own paths where they differ from the contract's. */
  paths?: Partial<Record<ProducerResourceType, string>>;
  /** Default client credentials at `{supplierUrl}/oauth2/token` with the default client. */
  access?: SupplierAccess;
  /** The platform whose NHS login mints ID tokens (URL or `startPlatform`'s handle); without one the mock is started on `nhsLoginIssuer`. */
  platform?: string | PlatformRef;
  nhsLoginIssuer?: string;
  stateDir?: string;
  /** Provider states resolved from this pack (default: the default pack), unless `providerStatesUrl` is given. */
  pack?: FixturePack;
  /** The supplier's own provider-state endpoint (docs/pact.md). */
  providerStatesUrl?: string;
  /** Pact file to verify; default the shipped contract. */
  pactFile?: string;
  /** Verify the broker's pact and publish the results there. */
  publish?: { broker: BrokerConfig; providerVersion: string; providerBranch?: string; buildUrl?: string };
  reportDir?: string;
  onState?: (state: string, index: number) => void;
  clock?: Clock;
}

/** The verification, with what was published. */
export type ContractResult = RunResult<VerifyReport> & { verifierOutput: string[] };

/**
 * Verifies a supplier against the PCA -> PCA-Supplier pact.
 *
 * @example
 * ```ts
 * import { verifyContract } from 'pca-harness';
 * const result = await verifyContract({ supplierUrl: supplier.url, platform });
 * expect(result.verdict).toBe('pass');
 * ```
 */
export async function verifyContract(opts: VerifyContractOptions): Promise<ContractResult> {
  if (opts.providerStatesUrl && opts.pack)
    throw new UsageError(
      'give either providerStatesUrl (your endpoint sets up the states) or a pack (the harness resolves them from it), not both',
    );
  if (opts.publish && opts.pactFile)
    throw new UsageError('publishing verifies the pact the broker holds; leave out the pact file');
  const supplierUrl = httpUrl('supplierUrl', opts.supplierUrl);
  const access = opts.access ?? supplierAccess(supplierUrl, {}, DEFAULT_CONFIG.supplier);
  const pack = opts.pack ?? buildDefaultPack(opts.clock?.now() ?? new Date());
  const states = opts.providerStatesUrl
    ? remoteStates(httpUrl('providerStatesUrl', opts.providerStatesUrl))
    : packStates(pack);
  const platform: PlatformRef | undefined =
    typeof opts.platform === 'string' ? { url: httpUrl('platform', opts.platform) } : opts.platform;
  const notices: string[] = [];
  let brokerPact: BrokerPact | undefined;
  let tmp: string | undefined;
  let pactFile = opts.pactFile ?? shippedPact(SUPPLIER_PACT_FILE);
  const nhsLogin = await openNhsLogin({
    ...(platform ? { platform } : {}),
    issuer: opts.nhsLoginIssuer ?? DEFAULT_CONFIG.supplier.nhsLoginIssuer,
    stateDir: opts.stateDir,
    pack,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  if (nhsLogin.notice) notices.push(nhsLogin.notice);
  try {
    if (opts.publish) {
      try {
        brokerPact = await fetchLatestPact(opts.publish.broker, PCA, PCA_SUPPLIER);
      } catch (e) {
        if (e instanceof BrokerError) throw new UsageError(`--publish: ${e.message}`);
        throw e;
      }
      tmp = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-verify-'));
      pactFile = path.join(tmp, SUPPLIER_PACT_FILE);
      writeFileSync(pactFile, renderPact(brokerPact.pact));
      notices.push(`verifying the pact the broker holds: ${displayUrl(brokerPact.url)}`);
    }
    let verification;
    try {
      verification = await verifySupplier({
        supplierUrl,
        pactFile,
        paths: opts.paths ?? {},
        credentials: createCredentials({ access, nhsLogin, ...(opts.clock ? { clock: opts.clock } : {}) }),
        states,
        ...(opts.onState ? { onState: opts.onState } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
    } catch (e) {
      if (e instanceof VerifierRunError)
        throw new UsageError(`${e.message} (is ${path.basename(pactFile)} a valid pact?)`);
      throw e;
    }
    verification.notices.unshift(...notices);
    // The temporary copy is gone after the run; the report names the broker's pact instead.
    if (brokerPact) verification.pact.file = displayUrl(brokerPact.url);
    let publish: PublishInfo | undefined;
    if (opts.publish && brokerPact) {
      const { broker, providerVersion, providerBranch, buildUrl } = opts.publish;
      publish = {
        broker: displayUrl(broker.baseUrl),
        pactUrl: displayUrl(brokerPact.url),
        providerVersion,
        ...(providerBranch ? { providerBranch } : {}),
        published: false,
      };
      try {
        const published = await publishVerificationResults(broker, brokerPact, {
          success: verification.passed,
          providerVersion,
          ...(providerBranch ? { providerBranch } : {}),
          ...(buildUrl ? { buildUrl } : {}),
          testResults: verification.interactions.map((i) => ({
            interactionDescription: i.description,
            success: i.outcome === 'passed',
            ...(i.problems.length ? { mismatches: i.problems.map((p) => ({ type: p.type, message: p.message })) } : {}),
          })),
          verifiedBy: { implementation: 'pca-harness', version: version() },
        });
        publish = { ...publish, published: true, resultsUrl: published.url };
      } catch (e) {
        if (!(e instanceof BrokerError)) throw e;
        publish = { ...publish, error: e.message };
      }
    }
    const report = buildVerifyReport(verification, version(), publish);
    const files = opts.reportDir
      ? await writeReportFiles(path.resolve(opts.reportDir), {
          'verify.json': `${JSON.stringify(report, null, 2)}\n`,
          'junit.xml': renderVerifyJUnit(report),
          'verifier-output.txt': `${verification.output.join('\n')}\n`,
        })
      : undefined;
    const junit = verifyJUnitSuites(report);
    const { counts, findings } = tallyJUnit(junit);
    const passed = report.summary.verified && (!publish || publish.published);
    return {
      verdict: passed ? 'pass' : 'fail',
      headline: `${report.summary.passed} of ${report.summary.interactions} interactions verified${publish ? (publish.published ? ', results published' : ', publishing failed') : ''}`,
      counts,
      findings: publish?.error ? [...findings, { kind: 'error', name: 'publish', message: publish.error }] : findings,
      report,
      junit,
      verifierOutput: verification.output,
      ...(files ? { files } : {}),
    };
  } finally {
    await nhsLogin.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
