/**
 * `pca-harness verify`: verifies a supplier's API against the PCA -> PCA-Supplier pact with the
 * real Pact verifier, reports per interaction (console, verify.json, junit.xml) and, with
 * --publish, publishes the results to a Pact Broker or PactFlow. Thin: parse, call verifySupplier,
 * write, map to an exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProducerResourceType } from '../../core/fhir';
import {
  type BrokerConfig,
  type BrokerPact,
  BrokerConfigError,
  BrokerError,
  brokerFromEnv,
  displayUrl,
  fetchLatestPact,
  publishVerificationResults,
} from '../../contracts/pact/broker';
import { PCA, PCA_SUPPLIER, shippedPact, SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { PactFileError, renderPact } from '../../contracts/pact/pact-file';
import { packStates, remoteStates, type StateSource } from '../../suites/pact/states';
import { verifySupplier } from '../../suites/pact/verify';
import {
  buildVerifyReport,
  type PublishInfo,
  renderVerifyConsole,
  renderVerifyJUnit,
} from '../../suites/pact/verify-report';
import { VerifierRunError } from '../../suites/pact/verifier-results';
import { loadPack } from '../../fixtures/default-pack';
import type { AccessConfig } from '../../suites/access/credentials';
import { createCredentials } from '../../suites/access/credentials';
import { startNhsLogin, type NhsLoginSession } from '../../suites/access/nhs-login-session';
import { writeReportFiles } from '../../suites/report/files';
import { version } from '../../core/version';
import {
  type CommandModule,
  ExitCode,
  UsageError,
  addConfigOption,
  addReportDirOption,
  addSupplierAccessOptions,
  loadCliConfig,
} from '../common';
import { pathsFromFlagOrConfig } from './check';

export const PROVIDER_VERSION_ENV = 'PACT_PROVIDER_VERSION';
export const PROVIDER_BRANCH_ENV = 'PACT_PROVIDER_BRANCH';

interface VerifyOptions {
  supplier?: string;
  paths?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  bearer?: string;
  platformUrl?: string;
  pack?: string;
  providerStatesUrl?: string;
  pact?: string;
  reportDir: string;
  publish?: boolean;
  providerVersion?: string;
  providerBranch?: string;
  buildUrl?: string;
  config?: string;
}

function httpUrl(name: string, v: string): string {
  if (!/^https?:\/\/[^/]/.test(v)) throw new UsageError(`${name} must be an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

/** The broker's answer is a usage problem when the broker is not set up, a failure otherwise. */
function brokerConfig(env: NodeJS.ProcessEnv): BrokerConfig {
  try {
    return brokerFromEnv(env);
  } catch (e) {
    if (e instanceof BrokerConfigError) throw new UsageError(`--publish: ${e.message}`);
    throw e;
  }
}

const verifyCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = addSupplierAccessOptions(
      program
        .command('verify')
        .description(
          "verify a supplier's API against the PCA -> PCA-Supplier Pact contract (real Pact verifier), per interaction",
        ),
      {
        paths:
          "the supplier's own paths where they differ from /Appointment, /DocumentReference, /Task: appointments=/fhir/Appointment,... (default: from the config)",
      },
    )
      .option('--platform-url <url>', 'a running `pca-harness serve`: mint NHS login ID tokens there')
      .option(
        '--pack <file>',
        'fixture pack the provider states are resolved from (default: config pack, or the built-in default pack)',
      )
      .option(
        '--provider-states-url <url>',
        'your own provider-state endpoint: the verifier POSTs {"state", "params", "action"} and expects {"nhsNumber", "birthDate"} (docs/pact.md)',
      )
      .option('--pact <file>', `pact file to verify (default: the shipped contracts/pacts/${SUPPLIER_PACT_FILE})`)
      .option(
        '--publish',
        'verify the pact your broker holds and publish the results (PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD)',
      )
      .option(
        '--provider-version <version>',
        `with --publish: your API's version, e.g. the git commit (default: env ${PROVIDER_VERSION_ENV})`,
      )
      .option('--provider-branch <branch>', `with --publish: your API's branch (default: env ${PROVIDER_BRANCH_ENV})`)
      .option('--build-url <url>', 'with --publish: link to the CI build, shown by the broker');
    addReportDirOption(cmd);
    addConfigOption(cmd);
    cmd.addHelpText(
      'after',
      `
Provider states: each interaction names a state ("a patient with appointments", "a patient under 16",
...). Without --provider-states-url the harness resolves them from the fixture pack your system has
loaded; with it, your endpoint sets up its own test data and answers with the patient to use. The
verifier puts that NHS number into the request and replaces the pact's example credentials with a
fresh access token and an NHS login ID token for the patient. See docs/pact.md.

Without --platform-url, verify runs the NHS login mock itself on the issuer the supplier trusts
(config supplier.nhsLoginIssuer, default http://127.0.0.1:7070/nhs-login).

The Pact verifier prints its own report to stdout as it runs; the summary follows it, and the
reports (verify.json, junit.xml, verifier-output.txt) go to --report-dir.

Exit codes: 0 every interaction verified (and published, with --publish), 1 an interaction failed
(or publishing failed), 2 usage or configuration error, 3 the supplier is unreachable.

Examples:
  pca-harness verify --supplier http://127.0.0.1:7171
  pca-harness verify --supplier https://pep.example.nhs.uk --paths appointments=/fhir/Appointment --token-url https://pep.example.nhs.uk/oauth2/token --client-id pca --client-secret "$SECRET" --provider-states-url https://pep.example.nhs.uk/_pact/provider-states
  PACT_BROKER_BASE_URL=https://you.pactflow.io PACT_BROKER_TOKEN=... pca-harness verify --supplier http://127.0.0.1:7171 --publish --provider-version "$GIT_COMMIT" --provider-branch main`,
    );
    cmd.action(async (opts: VerifyOptions) => {
      if (!opts.supplier) throw new UsageError('--supplier <url> is required');
      if (opts.bearer && (opts.tokenUrl || opts.clientId || opts.clientSecret))
        throw new UsageError('give either --bearer or --token-url/--client-id/--client-secret, not both');
      if (opts.providerStatesUrl && opts.pack)
        throw new UsageError(
          'give either --provider-states-url (your endpoint sets up the states) or --pack (the harness resolves them from a pack), not both',
        );
      if (opts.publish && opts.pact)
        throw new UsageError(
          '--publish verifies the pact your broker holds (publish it first with `pca-harness pact publish`); leave out --pact',
        );
      const providerVersion = opts.providerVersion ?? io.env[PROVIDER_VERSION_ENV];
      const providerBranch = opts.providerBranch ?? io.env[PROVIDER_BRANCH_ENV];
      if (opts.publish && !providerVersion)
        throw new UsageError(`--publish needs --provider-version (or ${PROVIDER_VERSION_ENV}), e.g. your git commit`);
      if (!opts.publish && (opts.providerVersion || opts.providerBranch || opts.buildUrl))
        throw new UsageError('--provider-version, --provider-branch and --build-url go with --publish');

      const supplierUrl = httpUrl('--supplier', opts.supplier);
      const { config } = loadCliConfig(io, opts);
      const now = new Date();
      const paths: Partial<Record<ProducerResourceType, string>> = pathsFromFlagOrConfig(opts.paths, config);
      const access: AccessConfig = opts.bearer
        ? { kind: 'bearer', token: opts.bearer }
        : {
            kind: 'client-credentials',
            tokenUrl: opts.tokenUrl ? httpUrl('--token-url', opts.tokenUrl) : `${supplierUrl}/oauth2/token`,
            clientId: opts.clientId ?? config.supplier.clientId,
            clientSecret: opts.clientSecret ?? config.supplier.clientSecret,
          };
      const pack = loadPack(opts.pack ? path.resolve(io.cwd, opts.pack) : config.pack || undefined, now);
      const states: StateSource = opts.providerStatesUrl
        ? remoteStates(httpUrl('--provider-states-url', opts.providerStatesUrl))
        : packStates(pack);
      const broker = opts.publish ? brokerConfig(io.env) : undefined;
      const platform = opts.platformUrl ? httpUrl('--platform-url', opts.platformUrl) : undefined;

      const notices: string[] = [];
      let brokerPact: BrokerPact | undefined;
      let tmp: string | undefined;
      let pactFile = opts.pact ? path.resolve(io.cwd, opts.pact) : shippedPact(SUPPLIER_PACT_FILE);
      let nhsLogin: NhsLoginSession | undefined;
      try {
        if (broker) {
          try {
            brokerPact = await fetchLatestPact(broker, PCA, PCA_SUPPLIER);
          } catch (e) {
            if (e instanceof BrokerError || e instanceof PactFileError) throw new UsageError(`--publish: ${e.message}`);
            throw e;
          }
          tmp = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-verify-'));
          pactFile = path.join(tmp, SUPPLIER_PACT_FILE);
          writeFileSync(pactFile, renderPact(brokerPact.pact));
          notices.push(`verifying the pact the broker holds: ${displayUrl(brokerPact.url)}`);
        }
        if (platform) {
          const issuer = `${platform}/nhs-login`;
          nhsLogin = { url: issuer, issuer, persistent: true, close: async () => undefined };
        } else {
          nhsLogin = await startNhsLogin({
            issuer: config.supplier.nhsLoginIssuer,
            stateDir: path.resolve(io.cwd, config.stateDir),
            pack,
          });
          if (nhsLogin.notice) notices.push(nhsLogin.notice);
        }
        const credentials = createCredentials({ access, nhsLogin });
        io.err(
          `verifying ${supplierUrl} against ${path.basename(pactFile)} (provider states: ${states.description}; NHS login ${nhsLogin.url})...`,
        );
        let verification;
        try {
          verification = await verifySupplier({
            supplierUrl,
            pactFile,
            paths,
            credentials,
            states,
            onState: (state, i) => {
              if (io.isTty) io.err(`  [${i + 1}] given ${state}`);
            },
          });
        } catch (e) {
          if (e instanceof PactFileError) throw new UsageError(e.message);
          if (e instanceof VerifierRunError)
            throw new UsageError(`${e.message} (is ${path.basename(pactFile)} a valid pact?)`);
          throw e;
        }
        verification.notices.unshift(...notices);
        // The temporary copy is gone after the run; the report names the broker's pact instead.
        if (brokerPact) verification.pact.file = displayUrl(brokerPact.url);

        let publish: PublishInfo | undefined;
        if (broker && brokerPact && providerVersion) {
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
              ...(opts.buildUrl ? { buildUrl: opts.buildUrl } : {}),
              testResults: verification.interactions.map((i) => ({
                interactionDescription: i.description,
                success: i.outcome === 'passed',
                ...(i.problems.length
                  ? { mismatches: i.problems.map((p) => ({ type: p.type, message: p.message })) }
                  : {}),
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
        const files = await writeReportFiles(path.resolve(io.cwd, opts.reportDir), {
          'verify.json': `${JSON.stringify(report, null, 2)}\n`,
          'junit.xml': renderVerifyJUnit(report),
          'verifier-output.txt': `${verification.output.join('\n')}\n`,
        });
        io.out(renderVerifyConsole(report, { reportFiles: files }));
        setExit(report.summary.verified && (!publish || publish.published) ? ExitCode.ok : ExitCode.checkFailed);
      } finally {
        await nhsLogin?.close();
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });
  },
};

export default verifyCommand;
