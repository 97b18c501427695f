/**
 * `pca-harness verify`: verifies a supplier's API against the PCA -> PCA-Supplier pact with the
 * real Pact verifier, reports per interaction (console, verify.json, junit.xml) and, with
 * --publish, publishes the results to a Pact Broker or PactFlow. Thin: parse, call verifySupplier,
 * write, map to an exit code.
 */
import path from 'node:path';
import { supplierAccess } from '../../core/access';
import { type BrokerConfig, BrokerConfigError, brokerFromEnv } from '../../contracts/pact/broker';
import { SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { verifyContract } from '../../suites/pact/verify-contract';
import { renderVerifyConsole } from '../../suites/pact/verify-report';
import {
  type CommandModule,
  ExitCode,
  UsageError,
  addConfigOption,
  addReportDirOption,
  addSupplierAccessOptions,
  httpUrl,
  loadCliConfig,
  loadCliPack,
  pathsFromFlagOrConfig,
} from '../common';

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
      const access = supplierAccess(supplierUrl, opts, config.supplier);
      const broker = opts.publish ? brokerConfig(io.env) : undefined;
      const pactFile = opts.pact ? path.resolve(io.cwd, opts.pact) : undefined;
      io.err(
        `verifying ${supplierUrl} against ${pactFile ? path.basename(pactFile) : opts.publish ? "the broker's pact" : SUPPLIER_PACT_FILE}...`,
      );
      const result = await verifyContract({
        supplierUrl,
        paths: pathsFromFlagOrConfig(opts.paths, config),
        access,
        ...(opts.platformUrl ? { platform: httpUrl('--platform-url', opts.platformUrl) } : {}),
        nhsLoginIssuer: config.supplier.nhsLoginIssuer,
        stateDir: path.resolve(io.cwd, config.stateDir),
        ...(opts.providerStatesUrl
          ? { providerStatesUrl: httpUrl('--provider-states-url', opts.providerStatesUrl) }
          : { pack: loadCliPack(io, opts.pack, config) }),
        ...(pactFile ? { pactFile } : {}),
        ...(broker && providerVersion
          ? {
              publish: {
                broker,
                providerVersion,
                ...(providerBranch ? { providerBranch } : {}),
                ...(opts.buildUrl ? { buildUrl: opts.buildUrl } : {}),
              },
            }
          : {}),
        reportDir: path.resolve(io.cwd, opts.reportDir),
        onState: (state, i) => {
          if (io.isTty) io.err(`  [${i + 1}] given ${state}`);
        },
      });
      io.out(renderVerifyConsole(result.report, { reportFiles: result.files ?? {} }));
      setExit(result.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed);
    });
  },
};

export default verifyCommand;
