/**
 * `pca-harness supplier`: the reference supplier (a conforming Get Appointments / DocumentReference /
 * Task API for the patients of a fixture pack, with `--fault NAME` to break it in exactly one way),
 * and `pca-harness supplier upload`: its Record Service client.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { isoDate } from '../../core/clock';
import type { Profile } from '../../core/config';
import { signingKeyFromJwk, type SigningKey } from '../../core/keys';
import { createLogger } from '../../core/logger';
import { loadPack } from '../../fixtures/default-pack';
import { writeReportFiles } from '../../suites/report/files';
import { DEFAULT_DEADLINE_MS, DEFAULT_RATE_LIMIT_TPS } from '../../mocks/supplier/app';
import { startReferenceSupplier, type SupplierHandle } from '../../mocks/start';
import { FAULT_NAMES, type FaultName, faultSpec, isFaultName, renderFaultList } from '../../mocks/supplier/faults';
import { type UploadAuth, type UploadProgress, type UploadReport, uploadPack } from '../../mocks/supplier/upload';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addConfigOption,
  loadCliConfig,
  parseIntOption,
  untilSignal,
} from '../common';

export const UPLOAD_JOURNAL_FILE = 'supplier-upload-journal.sqlite';
export const UPLOAD_API_KEY_ENV = 'PCA_HARNESS_UPLOAD_API_KEY';

export interface SupplierOptions {
  config?: string;
  pack?: string;
  port?: number;
  host?: string;
  fault?: string;
  nhsLoginIssuer?: string;
  latency?: number;
  rateLimit?: number;
  deadline?: number;
  listFaults?: boolean;
}

export interface UploadCliOptions {
  config?: string;
  pack?: string;
  fault?: string;
  recordsUrl: string;
  clientId: string;
  apiKey?: string;
  tokenUrl?: string;
  key?: string;
  profile?: Profile;
  journal?: string;
  maxAttempts?: number;
  reportDir?: string;
}

function fault(name: string | undefined, affects: 'api' | 'upload'): FaultName | undefined {
  if (name === undefined) return undefined;
  if (!isFaultName(name))
    throw new UsageError(
      `unknown fault "${name}"; one of: ${FAULT_NAMES.join(', ')} (pca-harness supplier --list-faults)`,
    );
  const spec = faultSpec(name);
  if (spec.affects !== affects) {
    throw new UsageError(
      affects === 'api'
        ? `fault "${name}" breaks the upload client; use it with "pca-harness supplier upload --fault ${name}"`
        : `fault "${name}" breaks the API; use it with "pca-harness supplier --fault ${name}"`,
    );
  }
  return name;
}

function httpUrl(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/$/, '');
}

/** The pack file relative to the working directory; empty means the embedded default pack. */
function packFile(io: CliIo, file: string | undefined): string | undefined {
  return file ? path.resolve(io.cwd, file) : undefined;
}

function nonNegative(flag: string, v: number | undefined): void {
  if (v !== undefined && v < 0) throw new UsageError(`${flag} must be 0 or more`);
}

export interface RunningSupplier {
  supplier: SupplierHandle;
  banner: string;
}

/** Starts the reference supplier as configured; the caller stops it with `supplier.close()`. */
export async function startSupplier(io: CliIo, o: SupplierOptions): Promise<RunningSupplier> {
  const chosen = fault(o.fault, 'api');
  nonNegative('--latency', o.latency);
  if (o.rateLimit !== undefined && o.rateLimit < 1)
    throw new UsageError('--rate-limit must be at least 1 request per second');
  if (o.deadline !== undefined && o.deadline < 1) throw new UsageError('--deadline must be at least 1 ms');
  const issuerFlag = o.nhsLoginIssuer === undefined ? undefined : httpUrl('--nhs-login-issuer', o.nhsLoginIssuer);
  const { config } = loadCliConfig(io, o, {
    supplier: {
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(issuerFlag !== undefined ? { nhsLoginIssuer: issuerFlag } : {}),
    },
  });
  const on = new Date();
  const pack = loadPack(packFile(io, o.pack ?? config.pack), on);
  const s = config.supplier;
  const logger = createLogger({ level: config.logLevel, name: 'pca-harness-supplier' });
  const supplier = await startReferenceSupplier({
    pack,
    ...(chosen ? { fault: chosen } : {}),
    logger,
    nhsLoginIssuer: s.nhsLoginIssuer,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    paths: s.paths,
    port: s.port,
    host: s.host,
    ...(o.rateLimit !== undefined ? { rateLimitTps: o.rateLimit } : {}),
    ...(o.deadline !== undefined ? { deadlineMs: o.deadline } : {}),
    ...(o.latency !== undefined ? { latencyMs: o.latency } : {}),
  });
  const { paths } = supplier;
  const base = s.publicUrl ? s.publicUrl.replace(/\/$/, '') : supplier.url;
  const banner = `reference supplier listening on ${supplier.url}
  GET  ${base}${paths.appointments}?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>
  GET  ${base}${paths.documents}?patient:identifier=...
  GET  ${base}${paths.tasks}?patient:identifier=...
  POST ${base}/oauth2/token       client credentials for client id "${s.clientId}" (secret: config supplier.clientSecret)
  NHSD-ID-Token issuer: ${s.nhsLoginIssuer}
  pack: ${pack.name} (${pack.patients.length} patients, ages as on ${isoDate(on)})
  limits: ${o.rateLimit ?? DEFAULT_RATE_LIMIT_TPS} requests/s per endpoint, 504 after ${o.deadline ?? DEFAULT_DEADLINE_MS} ms${o.latency ? `, ${o.latency} ms added latency` : ''}
  fault: ${chosen ? `${chosen} (violates ${faultSpec(chosen).requirement})` : 'none (conforming)'}
Press Ctrl+C to stop.
`;
  return { supplier, banner };
}

/** Serves until `stop` fires. */
export async function runSupplier(io: CliIo, o: SupplierOptions, stop: AbortSignal): Promise<void> {
  const { supplier, banner } = await startSupplier(io, o);
  io.out(banner);
  await new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    stop.addEventListener('abort', () => resolve(), { once: true });
  });
  await supplier.close();
  io.err('stopped');
}

async function readKeyFile(io: CliIo, file: string): Promise<SigningKey> {
  const abs = path.resolve(io.cwd, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--key ${file}: ${code ? `cannot read it (${code})` : `not JSON: ${(e as Error).message}`}`);
  }
  const jwks = parsed as { keys?: unknown };
  const jwk = Array.isArray(jwks.keys)
    ? (jwks.keys as Array<Record<string, unknown>>).find((k) => typeof k.d === 'string')
    : parsed;
  try {
    return await signingKeyFromJwk(jwk as Parameters<typeof signingKeyFromJwk>[0]);
  } catch (e) {
    throw new UsageError(
      `--key ${file} must hold a private RSA JWK (with "d"), or a JWKS with one: ${(e as Error).message}`,
    );
  }
}

function progressLine(p: UploadProgress): string {
  const where = `batch ${p.batch}/${p.batches}`;
  if (p.outcome === 'acknowledged') return `${where}: acknowledged (${p.acknowledged}/${p.toSend} NHS numbers)`;
  const why = p.status ? `answered ${p.status}` : 'no answer';
  if (p.outcome === 'retrying')
    return `${where}: ${why}, retrying in ${((p.delayMs ?? 0) / 1000).toFixed(1)} s (attempt ${p.attempt} failed)`;
  return `${where}: ${why}, not retried further; it stays in the journal to replay`;
}

export function renderUploadReport(r: UploadReport): string {
  const skipped =
    Object.entries(r.skipped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const rows: Array<[string, string | number]> = [
    ['patients in the pack', r.patients],
    ['eligible today', r.eligible],
    ['not sent (ineligible)', skipped],
    ['acknowledged before', r.alreadyAcknowledged],
    ['sent in this run', r.sent],
    ['acknowledged', r.acknowledged],
    ['not acknowledged', r.failed],
    ['requests / retries', `${r.requests} / ${r.retries}`],
    ['acknowledged in total', `${r.acknowledgedTotal} distinct NHS numbers for ${r.clientId} (reconciliation)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `upload to ${r.recordsUrl} as ${r.clientId} (profile ${r.profile}, at most ${r.batchLimit} a batch${r.fault ? `, fault ${r.fault}` : ''}): ${r.outcome}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...r.failedBatches.map((b) => `  failed batch from index ${b.firstIndex} (${b.size} numbers): ${b.detail}`),
    ...r.warnings.map((w) => `  warning from the Record Service: ${w}`),
    r.message,
    `journal: ${r.journal}`,
  ];
  return `${lines.join('\n')}\n`;
}

const EXIT_BY_OUTCOME: Record<UploadReport['outcome'], ExitCode> = {
  complete: ExitCode.ok,
  incomplete: ExitCode.checkFailed,
  aborted: ExitCode.checkFailed,
  unreachable: ExitCode.unreachable,
  unauthorised: ExitCode.usage,
};

export async function runUpload(
  io: CliIo,
  o: UploadCliOptions,
  stop?: AbortSignal,
): Promise<{ report: UploadReport; exit: ExitCode }> {
  const chosen = fault(o.fault, 'upload');
  const recordsUrl = httpUrl('--records-url', o.recordsUrl);
  const apiKey = o.apiKey ?? io.env[UPLOAD_API_KEY_ENV];
  if (apiKey && (o.tokenUrl || o.key))
    throw new UsageError('give either --api-key or --token-url with --key, not both');
  if (!apiKey && !(o.tokenUrl && o.key)) {
    throw new UsageError(
      `credentials are required: --api-key KEY (or ${UPLOAD_API_KEY_ENV}), or --token-url URL with --key FILE (signed-JWT client credentials)`,
    );
  }
  if (o.maxAttempts !== undefined && o.maxAttempts < 1) throw new UsageError('--max-attempts must be at least 1');
  const auth: UploadAuth = apiKey
    ? { type: 'api-key', apiKey }
    : { type: 'signed-jwt', tokenUrl: httpUrl('--token-url', o.tokenUrl!), key: await readKeyFile(io, o.key!) };
  const { config } = loadCliConfig(io, o);
  const pack = loadPack(packFile(io, o.pack ?? config.pack), new Date());
  const journal = path.resolve(io.cwd, o.journal ?? path.join(config.stateDir, UPLOAD_JOURNAL_FILE));
  const logger = createLogger({ level: config.logLevel, name: 'pca-harness-supplier-upload' });
  io.err(`uploading the eligible patients of "${pack.name}" to ${recordsUrl} (journal ${journal})`);
  let report: UploadReport;
  try {
    report = await uploadPack({
      recordsUrl,
      clientId: o.clientId,
      auth,
      pack,
      journal,
      profile: o.profile ?? config.platform.profile,
      fault: chosen,
      logger,
      retry: o.maxAttempts ? { maxAttempts: o.maxAttempts } : undefined,
      onProgress: (p) => io.err(progressLine(p)),
      signal: stop,
    });
  } catch (e) {
    if (/records URL/.test((e as Error).message)) throw new UsageError((e as Error).message);
    throw e;
  }
  io.out(renderUploadReport(report));
  if (o.reportDir) {
    const written = await writeReportFiles(path.resolve(io.cwd, o.reportDir), {
      'upload-report.json': `${JSON.stringify(report, null, 2)}\n`,
    });
    io.err(`report: ${written['upload-report.json']}`);
  }
  return { report, exit: EXIT_BY_OUTCOME[report.outcome] };
}

/** Options of `supplier` that mean nothing to `supplier upload`. */
const SERVER_ONLY: ReadonlyArray<keyof SupplierOptions> = [
  'port',
  'host',
  'nhsLoginIssuer',
  'latency',
  'rateLimit',
  'deadline',
  'listFaults',
];

const supplierCommand: CommandModule = {
  register(program: Command, io: CliIo, setExit) {
    const cmd = program
      .command('supplier')
      .description(
        'start the reference supplier: a conforming Get Appointments API for a fixture pack, --fault NAME to break it in one way',
      )
      .addOption(
        new Option(
          '--pack <file>',
          'fixture pack JSON (default: config pack, else the embedded default pack for today)',
        ),
      )
      .addOption(
        new Option(
          '--fault <name>',
          'break the supplier (or, with upload, its Record Service client) in exactly one way; see --list-faults',
        ),
      )
      .addOption(
        new Option(
          '--port <port>',
          'port to listen on (0 picks a free one; default 7171, config supplier.port)',
        ).argParser(parseIntOption('--port')),
      )
      .addOption(new Option('--host <host>', 'interface to listen on (default 127.0.0.1, config supplier.host)'))
      .addOption(
        new Option(
          '--nhs-login-issuer <url>',
          'NHS login issuer whose JWKS verifies NHSD-ID-Token (default config supplier.nhsLoginIssuer)',
        ),
      )
      .addOption(
        new Option('--latency <ms>', 'fixed latency added to every data request (load-test baselines)').argParser(
          parseIntOption('--latency'),
        ),
      )
      .addOption(
        new Option(
          '--rate-limit <tps>',
          `requests a second per endpoint before 429 (default ${DEFAULT_RATE_LIMIT_TPS}, WF-NFR-03)`,
        ).argParser(parseIntOption('--rate-limit')),
      )
      .addOption(
        new Option(
          '--deadline <ms>',
          `answer 504 when a request's work would pass this (default ${DEFAULT_DEADLINE_MS}, WF-NFR-02)`,
        ).argParser(parseIntOption('--deadline')),
      )
      .option('--list-faults', 'print every fault with the requirement it violates, and exit');
    addConfigOption(cmd);
    cmd.addHelpText(
      'after',
      `
Serves GET /Appointment, /DocumentReference and /Task (paths: config supplier.paths) with
patient:identifier=https://fhir.nhs.uk/Id/nhs-number|N, its own POST /oauth2/token (client credentials,
client_secret_basic or client_secret_post; config supplier.clientId/clientSecret), and verifies
NHSD-ID-Token against the NHS login issuer's JWKS. See docs/reference-supplier.md.
Stops gracefully on SIGINT (Ctrl+C) or SIGTERM.

Examples:
  pca-harness supplier
  pca-harness supplier --port 7171 --nhs-login-issuer http://127.0.0.1:7070/nhs-login
  pca-harness supplier --fault no-under16-check
  pca-harness supplier --latency 100                       (the load-test baseline)
  pca-harness supplier --list-faults
  pca-harness supplier upload --records-url http://127.0.0.1:7070/records --client-id pep-01 --api-key "$KEY"`,
    );
    cmd.action(async (o: SupplierOptions) => {
      if (o.listFaults) {
        io.out(`${renderFaultList()}\n`);
        setExit(ExitCode.ok);
        return;
      }
      const stop = untilSignal(io);
      try {
        await runSupplier(io, o, stop.signal);
        setExit(ExitCode.ok);
      } finally {
        stop.release();
      }
    });

    const upload = cmd
      .command('upload')
      .description(
        "send the pack's eligible NHS numbers to a Record Service, as a supplier's client should (batches, retries, journal)",
      )
      .requiredOption('--records-url <url>', 'the Record Service endpoint, e.g. http://127.0.0.1:7070/records')
      .requiredOption('--client-id <id>', 'your Record Service clientId')
      .option(
        '--api-key <key>',
        `bearer API key (or env ${UPLOAD_API_KEY_ENV}, which keeps it out of the process list)`,
      )
      .option('--token-url <url>', 'API-platform token URL for signed-JWT client credentials (with --key)')
      .option('--key <file>', 'private JWK (RS512) that signs the client assertion (with --token-url)')
      .addOption(
        new Option(
          '--profile <profile>',
          'batch limit: int = 200 NHS numbers a call, prod = 5,000 (default config platform.profile)',
        ).choices(['int', 'prod']),
      )
      .option('--journal <file>', `SQLite journal of what was acknowledged (default <stateDir>/${UPLOAD_JOURNAL_FILE})`)
      .addOption(
        new Option(
          '--max-attempts <n>',
          'attempts per batch before it is left for a later replay (default 8)',
        ).argParser(parseIntOption('--max-attempts')),
      )
      .option('--report-dir <dir>', 'also write upload-report.json there');
    upload.addHelpText(
      'after',
      `
Sends only patients who are 16 or over today and neither sensitive nor excluded by their trust;
records every acknowledged batch in the journal before the next, retries 5xx, 429, timeouts and
network errors with exponential back-off and jitter, and resumes without resending what was
acknowledged. --pack, --fault and --config (options of "supplier") apply here too.
Exit codes: 0 all eligible numbers acknowledged, 1 some were not (run again to replay them),
2 usage error or credentials refused, 3 the Record Service could not be reached.

Examples:
  pca-harness supplier upload --records-url http://127.0.0.1:7070/records --client-id pep-01 --api-key "$KEY"
  PCA_HARNESS_UPLOAD_API_KEY=... pca-harness supplier upload --records-url http://127.0.0.1:7070/records --client-id pep-01 --profile prod
  pca-harness supplier upload --records-url http://127.0.0.1:7070/records --client-id pep-01 --token-url http://127.0.0.1:7070/oauth2/token --key pep-01.private.jwk.json
  pca-harness supplier --fault trailing-slash-upload upload --records-url http://127.0.0.1:7070/records --client-id pep-01 --api-key "$KEY"`,
    );
    upload.action(async (_o: unknown, sub: Command) => {
      const all = sub.optsWithGlobals<UploadCliOptions & SupplierOptions>();
      const parentOnly = SERVER_ONLY.filter((k) => all[k] !== undefined);
      if (parentOnly.length)
        throw new UsageError(
          `${parentOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only apply to the server, not to "supplier upload"`,
        );
      const stop = untilSignal(io);
      try {
        setExit((await runUpload(io, all, stop.signal)).exit);
      } finally {
        stop.release();
      }
    });
  },
};

export default supplierCommand;
