/**
 * `pca-harness load`: the built-in arrival-rate runner for pipelines without k6. Parses, calls
 * load/run-profile runLoadProfile, writes the reports and maps the verdicts to an exit code.
 */
import path from 'node:path';
import { Option } from 'commander';
import { platformUrl } from '../../core/config';
import { type SupplierAccess, supplierAccess } from '../../core/access';
import { DEFAULT_PROFILE_NAME, describeProfiles, getProfile, PROFILE_NAMES, type ApiKind } from '../../load/profiles';
import { formatLoadSummary } from '../../load/report';
import { runLoad } from '../../load/run-load';
import type { Progress } from '../../load/runner/types';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addAdminTokenOption,
  addConfigOption,
  adminTokenFor,
  addReportDirOption,
  loadCliConfig,
  loadCliPack,
  parseDuration,
  parseIntOption,
  parseNumberOption,
} from '../common';

interface LoadOptions {
  target?: string;
  profile: string;
  rate?: number;
  duration?: number;
  p95?: number;
  api?: ApiKind;
  bearer?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  platformUrl?: string;
  pack?: string;
  reportDir: string;
  verify?: boolean;
  maxInFlight?: number;
  batchSize?: number;
  config?: string;
  adminToken?: string;
}

function progressLine(p: Progress): string {
  const secs = (p.elapsedMs / 1000).toFixed(0);
  const of = (p.plannedMs / 1000).toFixed(0);
  return `load: ${secs}/${of} s  ${p.achievedRate.toFixed(1)} req/s  p95 so far ${p.p95SoFarMs.toFixed(1)} ms  errors ${p.errors}  in flight ${p.inFlight}${p.dropped ? `  dropped ${p.dropped}` : ''}`;
}

/** Progress every second on a terminal, every 5 s in a log. */
function progressPrinter(io: CliIo): (p: Progress) => void {
  const every = io.isTty ? 1000 : 5000;
  let last = -Infinity;
  return (p) => {
    if (p.elapsedMs - last >= every) {
      last = p.elapsedMs;
      io.err(progressLine(p));
    }
  };
}

const loadCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = program
      .command('load')
      .description(
        'drive a supplier, the aggregator or the Record Service at a fixed arrival rate and enforce P95 and error thresholds',
      )
      .option(
        '--target <url>',
        'base URL of the system under test (a path on it prefixes the endpoint paths); default: the local reference supplier, or the platform for aggregator and records profiles',
      )
      .addOption(
        new Option('--profile <name>', 'load profile (see below)')
          .default(DEFAULT_PROFILE_NAME)
          .choices([...PROFILE_NAMES]),
      )
      .option('--rate <n>', 'arrivals per second (constant-rate profiles)', parseNumberOption('--rate'))
      .option('--duration <d>', 'run length, e.g. 20s, 2m (stretches or squeezes a ramp)', parseDuration)
      .option('--p95 <ms>', 'P95 budget in milliseconds (overrides the profile)', parseNumberOption('--p95'))
      .addOption(
        new Option(
          '--api <kind>',
          "drive another API than the profile's own (e.g. --profile throttle --api aggregator)",
        ).choices(['supplier', 'aggregator', 'records']),
      )
      .option('--bearer <token>', 'access token for the target (for records: the Record Service API key)')
      .option('--token-url <url>', 'OAuth token URL for client credentials (default {target}/oauth2/token)')
      .option(
        '--client-id <id>',
        'OAuth client id (default: config supplier.clientId); for records: the Record Service clientId',
      )
      .option('--client-secret <secret>', 'OAuth client secret (default: config supplier.clientSecret)')
      .option(
        '--platform-url <url>',
        'platform whose NHS login mock mints the ID tokens (default: one started for the run on the issuer the supplier trusts, config supplier.nhsLoginIssuer)',
      )
      .option(
        '--pack <file>',
        'fixture pack the patients are drawn from (default: config pack, else the built-in default pack)',
      )
      .option('--verify', "also check every response: schema, the pack's expected content, X-Correlation-ID echo")
      .option(
        '--max-in-flight <n>',
        'most requests in flight; arrivals beyond it are dropped and counted',
        parseIntOption('--max-in-flight'),
      )
      .option(
        '--batch-size <n>',
        'records profiles: NHS numbers per POST /records (200 INT, 5000 production)',
        parseIntOption('--batch-size'),
      );
    addReportDirOption(cmd);
    addConfigOption(cmd);
    addAdminTokenOption(cmd);
    cmd.addHelpText(
      'after',
      `
Profiles (one source of truth with the k6 scripts in load/k6/):
${describeProfiles()}

Latency is measured from each request's scheduled start (open model: no coordinated omission).
Writes load.json, junit.xml and load.html to --report-dir. Exit 1 when a threshold fails.

Examples:
  pca-harness load --target http://127.0.0.1:7171 --profile supplier-standard --duration 30s
  pca-harness load --target https://my-supplier.example/fhir --bearer "$TOKEN" --platform-url http://127.0.0.1:7070 --verify
  pca-harness load --target http://127.0.0.1:7070 --profile aggregator --rate 25 --p95 1000
  pca-harness load --profile throttle --target http://127.0.0.1:7171 --platform-url http://127.0.0.1:7070
  pca-harness load --profile records-bulk --target http://127.0.0.1:7070 --client-id my-client --bearer "$API_KEY" --batch-size 200 --verify`,
    );

    cmd.action(async (opts: LoadOptions) => {
      if (opts.bearer && (opts.tokenUrl || opts.clientSecret))
        throw new UsageError('give either --bearer or --token-url/--client-id/--client-secret, not both');
      const { config } = loadCliConfig(io, opts);
      const platformDefault = platformUrl(config);
      const supplierDefault = config.supplier.publicUrl || `http://${config.supplier.host}:${config.supplier.port}`;
      const api: ApiKind = opts.api ?? getProfile(opts.profile).target;
      const target = opts.target ?? (api === 'aggregator' || api === 'records' ? platformDefault : supplierDefault);

      let bearer = opts.bearer;
      if (api === 'records' && !bearer && opts.clientId)
        bearer = config.platform.clients.find((c) => c.clientId === opts.clientId)?.apiKey;
      // Records take an API key, the aggregator no access token; a supplier client credentials unless a token is given.
      const access: SupplierAccess | undefined = bearer
        ? { type: 'static', token: bearer }
        : api !== 'records' && api !== 'aggregator'
          ? supplierAccess(target, opts, config.supplier)
          : undefined;
      const pack = loadCliPack(io, opts.pack, config);
      const controller = new AbortController();
      const stop = (): void => {
        io.err('load: stopping: no new requests; waiting for those in flight');
        controller.abort();
      };
      process.once('SIGINT', stop);
      let result;
      try {
        result = await runLoad({
          profile: opts.profile,
          overrides: {
            rate: opts.rate,
            durationMs: opts.duration,
            p95Ms: opts.p95,
            maxInFlight: opts.maxInFlight,
            batchSize: opts.batchSize,
            api: opts.api,
          },
          target,
          ...(access ? { access } : {}),
          recordsClientId: api === 'records' ? opts.clientId : undefined,
          ...(opts.platformUrl ? { platform: opts.platformUrl } : {}),
          adminToken: adminTokenFor(io, config, opts.adminToken),
          nhsLoginIssuer: config.supplier.nhsLoginIssuer,
          stateDir: path.resolve(io.cwd, config.stateDir),
          pack,
          verify: Boolean(opts.verify),
          onProgress: progressPrinter(io),
          onNotice: (m) => io.err(`load: ${m}`),
          signal: controller.signal,
          reportDir: path.resolve(io.cwd, opts.reportDir),
        });
      } finally {
        process.off('SIGINT', stop);
      }
      io.out(formatLoadSummary(result.report));
      io.out(`reports: ${Object.values(result.files ?? {}).join(', ')}`);
      setExit(result.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed);
    });
  },
};

export default loadCommand;
