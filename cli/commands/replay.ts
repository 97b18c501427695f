/**
 * `pca-harness replay`: NHS England's sandbox flow on the supplier's own machine. Register the pack's
 * patients, let the aggregator pull them from the supplier, compare what came back with what the pack
 * expects (EVA), show what the NHS App would see, write the reports. Thin: parse, call runReplay, map
 * the outcome to an exit code.
 */
import path from 'node:path';
import { Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { supplierAccess } from '../../core/access';
import { resourceTypeOfKey } from '../../core/resource-types';
import type { ProducerResourceType } from '../../core/fhir';
import { createLogger } from '../../core/logger';
import {
  type ReplayPhase,
  type ReplayPlatform,
  type ReplayProgress,
  runReplay,
  DEFAULT_REPLAY_TIMEOUT_MS,
} from '../../suites/replay/replay';
import { renderReplaySummary } from '../../suites/replay/summary';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addAdminTokenOption,
  addConfigOption,
  adminTokenFor,
  addReportDirOption,
  addSupplierAccessOptions,
  httpUrl,
  loadCliConfig,
  loadCliPack,
  parseDuration,
  parseNumberOption,
  pathsFromFlagOrConfig,
} from '../common';

interface ReplayCliOptions {
  supplier?: string;
  paths?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  bearer?: string;
  clients?: string;
  pack?: string;
  upload: string;
  rate?: number;
  reportDir: string;
  platformUrl?: string;
  timeout: string;
  ignore?: string[];
  config?: string;
  adminToken?: string;
}

/** `appointments=acme-appts,documents=acme-docs` -> clientIds per resource type. */
export function parseClients(v: string): Partial<Record<ProducerResourceType, string>> {
  const out: Partial<Record<ProducerResourceType, string>> = {};
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const type = eq > 0 ? resourceTypeOfKey(part.slice(0, eq)) : undefined;
    const id = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!type)
      throw new UsageError(
        `--clients: "${part}" must be appointments=CLIENT_ID, documents=CLIENT_ID or tasks=CLIENT_ID`,
      );
    if (!/^\S+$/.test(id))
      throw new UsageError(`--clients: the clientId for ${part.slice(0, eq)} must not be empty or contain spaces`);
    out[type] = id;
  }
  if (Object.keys(out).length === 0)
    throw new UsageError('--clients needs at least one clientId, e.g. appointments=acme-appointments');
  return out;
}

const PHASE_TEXT: Record<ReplayPhase, string> = {
  registering: 'registering',
  'waiting-for-upload': 'waiting for your upload',
  pulling: 'pulling',
  comparing: 'comparing',
  'app-view': 'asking as the NHS App',
};
/** Phases quick enough that a bar would only flicker. */
const QUIET: ReadonlySet<ReplayPhase> = new Set(['comparing', 'app-view']);
const LINE_EVERY_MS = 5_000;

function eta(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(p: ReplayProgress): string {
  const pct = p.total > 0 ? ` (${Math.floor((p.done * 100) / p.total)}%)` : '';
  return `${PHASE_TEXT[p.phase]}: ${p.done}/${p.total}${pct}, ${p.ratePerSecond.toFixed(1)}/s, ${p.errors} error${p.errors === 1 ? '' : 's'}, ETA ${eta(p.etaMs)}`;
}

/** A bar on a terminal (stderr), otherwise a line when a phase starts, every few seconds, and when it completes. */
function progressReporter(io: CliIo): {
  onProgress: (p: ReplayProgress) => void;
  onNotice: (m: string) => void;
  stop: () => void;
} {
  let bar: SingleBar | undefined;
  let barPhase: ReplayPhase | undefined;
  const lastLine = new Map<ReplayPhase, { at: number; complete: boolean }>();
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
    barPhase = undefined;
  };
  return {
    onProgress(p) {
      if (QUIET.has(p.phase)) return;
      if (io.isTty) {
        if (barPhase !== p.phase) {
          stopBar();
          bar = new SingleBar({
            stream: process.stderr,
            format: `${PHASE_TEXT[p.phase].padEnd(24)} [{bar}] {value}/{total} | {speed}/s | {errors} errors | ETA {etaText}`,
            hideCursor: true,
            barsize: 30,
          });
          bar.start(p.total, p.done, { speed: '0.0', errors: 0, etaText: '-' });
          barPhase = p.phase;
        }
        bar!.setTotal(p.total);
        bar!.update(p.done, { speed: p.ratePerSecond.toFixed(1), errors: p.errors, etaText: eta(p.etaMs) });
        return;
      }
      const now = Date.now();
      const seen = lastLine.get(p.phase);
      const complete = p.total > 0 && p.done >= p.total;
      if (!seen || (complete && !seen.complete) || (!seen.complete && now - seen.at >= LINE_EVERY_MS)) {
        io.err(progressLine(p));
        lastLine.set(p.phase, { at: now, complete });
      }
    },
    onNotice(m) {
      stopBar();
      io.err(`note: ${m}`);
    },
    stop: stopBar,
  };
}

const replayCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = addSupplierAccessOptions(
      program
        .command('replay')
        .description(
          "end to end: register the pack's patients, let the aggregator pull them from the supplier, compare expected versus actual (EVA), report",
        ),
      {
        tokenUrl:
          "the supplier's OAuth token URL the aggregator gets access tokens from (client credentials); default {supplier}/oauth2/token",
        bearer: 'send this access token on every pull instead of using a token URL',
      },
    )
      .addOption(
        new Option(
          '--upload <who>',
          'who registers the patients with the Record Service: self (replay, for you) or supplier (your own upload client, which replay waits for)',
        )
          .choices(['self', 'supplier'])
          .default('self'),
      )
      .option(
        '--clients <list>',
        "Record Service clientIds per resource type, appointments=ID,documents=ID,tasks=ID (default: replay's own with --upload self; the config's platform.clients with --upload supplier)",
      )
      .option('--pack <file>', 'fixture pack (default: config pack, or the built-in default pack)')
      .addOption(
        new Option(
          '--rate <n>',
          'pulls a second the aggregator makes (default: config platform.pullRate, 25)',
        ).argParser(parseNumberOption('--rate')),
      )
      .option(
        '--platform-url <url>',
        'replay through a running `pca-harness serve` instead of starting the platform in this process',
      )
      .addOption(
        new Option(
          '--timeout <duration>',
          'how long to wait for your upload client (--upload supplier), and the longest the pulls may go without progress',
        ).default(`${DEFAULT_REPLAY_TIMEOUT_MS / 1000}s`),
      )
      .option(
        '--ignore <rule...>',
        'EVA ignore rule(s) added to the defaults, in the path notation of the report, e.g. /entry[*]/resource/id (repeatable)',
      );
    addReportDirOption(cmd, path.join('pca-harness-report', 'replay'));
    addConfigOption(cmd);
    addAdminTokenOption(cmd);
    cmd.addHelpText(
      'after',
      `
Steps: (1) the pack's eligible patients (16 or over, not sensitive, not excluded by the trust) are
registered with the mock Record Service, one clientId per resource type: by replay itself
(--upload self) or by your own Record Service client (--upload supplier; replay prints where to
send them and waits, then shows \`pca-harness explain\` output if they do not arrive); (2) the
aggregator pulls every registered patient from your API at --rate, with OAuth access tokens and NHS
login ID tokens, as the PCA does; (3) every response is compared with the pack (docs/eva.md), and a
few patients are looked up through /aggregator/events as the NHS App would; (4) the console summary,
eva.json, junit.xml and eva.html are written to --report-dir.

Without --platform-url, replay starts the mock platform in this process on the configured port
(platform.port, 7070), so that its NHS login issuer is the one your API trusts (config
supplier.nhsLoginIssuer, default http://127.0.0.1:7070/nhs-login). If the port is taken it uses a
free one and says which issuer your API must trust for the run.

Exit codes: 0 every comparison matched, 1 a difference, an error or missing registrations,
2 usage or configuration error (including credentials the supplier refused), 3 the supplier (or
--platform-url) is unreachable.

Examples:
  pca-harness replay --supplier http://127.0.0.1:7171
  pca-harness replay --supplier https://pep.example.nhs.uk --paths appointments=/fhir/Appointment --token-url https://pep.example.nhs.uk/oauth2/token --client-id pca --client-secret "$SECRET"
  pca-harness replay --supplier http://127.0.0.1:7171 --upload supplier --timeout 5m --config ./pca-harness.config.json
  pca-harness replay --supplier http://127.0.0.1:7171 --platform-url http://127.0.0.1:7070 --rate 50
  pca-harness replay --supplier http://127.0.0.1:7171 --pack ./my-pack.json --ignore /entry[*]/resource/id --report-dir out/replay`,
    );
    cmd.action(async (opts: ReplayCliOptions) => {
      if (!opts.supplier)
        throw new UsageError('--supplier <url> is required: the base URL of your API, e.g. http://127.0.0.1:7171');
      const supplierUrl = httpUrl('--supplier', opts.supplier);
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be more than zero, e.g. 120s');
      if (opts.rate !== undefined && !(opts.rate > 0 && opts.rate <= 10_000))
        throw new UsageError('--rate must be more than 0 and at most 10000 pulls a second');
      const { config } = loadCliConfig(io, opts);
      const paths = pathsFromFlagOrConfig(opts.paths, config);
      const clientIds = opts.clients ? parseClients(opts.clients) : undefined;
      const access = supplierAccess(supplierUrl, opts, config.supplier);
      const pack = loadCliPack(io, opts.pack, config);
      const stateDir = config.stateDir === ':memory:' ? ':memory:' : path.resolve(io.cwd, config.stateDir);
      // Pull-by-pull lines would tear the progress bar; failures are in the report anyway.
      const logger = createLogger({
        level: config.logLevel === 'info' ? 'warn' : config.logLevel,
        name: 'pca-harness-replay',
      });
      const platform: ReplayPlatform = opts.platformUrl
        ? {
            kind: 'remote',
            url: httpUrl('--platform-url', opts.platformUrl),
            adminToken: adminTokenFor(io, config, opts.adminToken),
          }
        : { kind: 'start', config, stateDir, logger };

      const progress = progressReporter(io);
      io.err(`replaying pack "${pack.name}" against ${supplierUrl} (${Object.keys(paths).join(', ')})...`);
      let result;
      try {
        result = await runReplay(
          {
            supplierUrl,
            paths,
            access,
            pack,
            upload: opts.upload as 'self' | 'supplier',
            platform,
            ...(clientIds ? { clientIds } : {}),
            knownClients: config.platform.clients,
            ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
            timeoutMs,
            ignore: opts.ignore ?? [],
            reportDir: path.resolve(io.cwd, opts.reportDir),
            supplierIssuer: config.supplier.nhsLoginIssuer,
          },
          { onProgress: progress.onProgress, onNotice: progress.onNotice, logger },
        );
      } finally {
        progress.stop();
      }
      io.out(renderReplaySummary(result));
      setExit(
        result.verdict === 'pass'
          ? ExitCode.ok
          : result.outcome === 'unreachable'
            ? ExitCode.unreachable
            : ExitCode.checkFailed,
      );
    });
  },
};

export default replayCommand;
