/**
 * `pca-harness serve`: the mock PCA platform (Record Service, aggregator with its pull scheduler and
 * consumer API, NHS login, API-platform OAuth) on one port, until SIGINT or SIGTERM.
 */
import path from 'node:path';
import { Option } from 'commander';
import type { DeepPartial, HarnessConfig, Mode, Profile } from '../../core/config';
import { createLogger } from '../../core/logger';
import { loadPack } from '../../fixtures/default-pack';
import { pullTarget } from '../../mocks/aggregator/directory';
import type { Platform } from '../../mocks/platform';
import { type PlatformHandle, startPlatform } from '../../mocks/start';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  addConfigOption,
  loadCliConfig,
  parseIntOption,
  parseNumberOption,
  untilSignal,
} from '../common';
import { version } from '../../core/version';

export interface ServeOptions {
  port?: number;
  host?: string;
  mode?: Mode;
  profile?: Profile;
  pack?: string;
  config?: string;
  stateDir?: string;
  publicUrl?: string;
  pullRate?: number;
}

export interface ServeHandle {
  handle: PlatformHandle;
  /** The port it listens on (the one picked when asked for 0). */
  port: number;
  banner: string;
}

/** Flags over config file over environment over defaults; relative paths are the caller's working directory's. */
export function serveOverrides(io: CliIo, o: ServeOptions): DeepPartial<HarnessConfig> {
  const platform: DeepPartial<HarnessConfig['platform']> = {};
  if (o.port !== undefined) platform.port = o.port;
  if (o.host !== undefined) platform.host = o.host;
  if (o.mode !== undefined) platform.mode = o.mode;
  if (o.profile !== undefined) platform.profile = o.profile;
  if (o.publicUrl !== undefined) platform.publicUrl = o.publicUrl;
  if (o.pullRate !== undefined) platform.pullRate = o.pullRate;
  return {
    platform,
    ...(o.pack !== undefined ? { pack: path.resolve(io.cwd, o.pack) } : {}),
    ...(o.stateDir !== undefined ? { stateDir: path.resolve(io.cwd, o.stateDir) } : {}),
  };
}

/** Where it really listens: `0.0.0.0:7070 (all interfaces)` when bound beyond one address. */
function bindDescription(p: Platform, port: number): string {
  const host = p.admin().bindHost;
  const shown = host.includes(':') ? `[${host}]` : host;
  if (host === '0.0.0.0' || host === '::' || host === '') return `${shown || '*'}:${port} (all interfaces)`;
  return `${shown}:${port}`;
}

function renderBanner(p: Platform, port: number, config: HarnessConfig, stateDir: string): string {
  const u = p.urls();
  const admin = p.admin();
  const bound = bindDescription(p, port);
  const lines = [
    `pca-harness ${version()} mock PCA platform listening on ${u.base}` +
      (admin.tokenRequired || !u.base.includes(`//${bound}`) ? `  (bound to ${bound})` : ''),
    `  mode ${config.platform.mode}, profile ${config.platform.profile}, pull rate ${config.platform.pullRate}/s, pack "${p.pack.name}" (${p.pack.patients.length} patients), state ${stateDir}`,
    '',
    `  NHS login issuer    ${u.issuer}`,
    `  JWKS                ${u.jwks}`,
    `  OAuth token URL     ${u.tokenUrl}`,
    `  Record Service      POST ${u.records}`,
    `  Consumer API        GET  ${u.events}?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>`,
    `  Harness             ${u.health}`,
    `                      ${u.config}`,
    `                      ${u.clients}   (PUT /_harness/clients/:clientId, POST .../:clientId/contract-pass)`,
    `                      ${u.pulls}   (and ${u.pullSummary})`,
    `                      ${u.diagnostics}`,
    '',
  ];
  const clients = p.clients.list();
  if (clients.length === 0) {
    lines.push(
      '  No supplier clients configured: add platform.clients to pca-harness.config.json, or PUT /_harness/clients/:clientId.',
    );
  } else {
    lines.push('  Supplier clients:');
    const dir = { client: (id: string) => p.clients.get(id), contractPassed: (id: string) => p.passes.has(id) };
    for (const c of clients) {
      const t = pullTarget(dir, c.clientId);
      const where = c.endpoint
        ? `${c.endpoint.url.replace(/\/+$/, '')}${c.endpoint.path ?? `/${c.resourceType}`} (${c.endpoint.auth.type})`
        : 'no endpoint';
      lines.push(`    ${c.clientId}  ${c.resourceType}  ${where}  pulls ${t.ok ? 'enabled' : `off: ${t.reason}`}`);
    }
  }
  lines.push('');
  if (admin.tokenRequired) {
    lines.push(
      `  Admin routes (/_harness/*) need Authorization: Bearer <admin token>; it is in ${admin.tokenFile ?? 'platform.adminToken'}.`,
    );
    // Shown once, when generated; later starts name the file only.
    if (admin.tokenCreated) lines.push(`  Admin token (shown once): ${admin.token}`);
    lines.push('');
  }
  lines.push('Press Ctrl+C to stop.');
  return `${lines.join('\n')}\n`;
}

/** Loads config and pack, starts the platform and listens. The caller owns stopping it. */
export async function startServe(io: CliIo, o: ServeOptions): Promise<ServeHandle> {
  const { config, source } = loadCliConfig(io, o, serveOverrides(io, o));
  const stateDir = path.isAbsolute(config.stateDir) ? config.stateDir : path.resolve(io.cwd, config.stateDir);
  const packFile = config.pack
    ? path.resolve(source && o.pack === undefined ? path.dirname(source) : io.cwd, config.pack)
    : undefined;
  const pack = loadPack(packFile, new Date());
  const logger = createLogger({ level: config.logLevel, name: 'pca-harness-platform' });
  const handle = await startPlatform({
    config,
    pack,
    stateDir,
    port: config.platform.port,
    host: config.platform.host,
    logger,
  });
  const port = Number(new URL(handle.url).port);
  return { handle, port, banner: renderBanner(handle.platform, port, config, stateDir) };
}

/** Serves until `stop` fires, then shuts down gracefully (pulls in flight finish, databases close). */
export async function runServe(io: CliIo, o: ServeOptions, stop: AbortSignal): Promise<void> {
  const handle = await startServe(io, o);
  io.out(handle.banner);
  const admin = handle.handle.platform.admin();
  if (admin.tokenRequired)
    io.err(
      `warning: listening on ${bindDescription(handle.handle.platform, handle.port)}, beyond loopback: anyone who can reach it can ` +
        'register NHS numbers and call the consumer API; the admin routes need the admin token. ' +
        'Publish the port only where you mean to (see docs/platform.md, "Security").',
    );
  await new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    stop.addEventListener('abort', () => resolve(), { once: true });
  });
  io.err('stopping: letting pulls in flight finish, closing the databases...');
  await handle.handle.close();
  io.err('stopped');
}

const serveCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = program
      .command('serve')
      .description(
        'start the mock PCA platform: Record Service, aggregator (pull scheduler + consumer API), NHS login and API-platform OAuth on one port',
      )
      .addOption(
        new Option(
          '--port <port>',
          'port to listen on (0 picks a free one; default 7070, config platform.port)',
        ).argParser(parseIntOption('--port')),
      )
      .addOption(new Option('--host <host>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 in containers)'))
      .addOption(
        new Option(
          '--mode <mode>',
          'strict answers 4xx with the reason a /records call registered nothing; int answers 200 as INT does, with the reason in X-PCA-Harness-Warning',
        ).choices(['strict', 'int']),
      )
      .addOption(
        new Option(
          '--profile <profile>',
          'Record Service batch limit: int = 200 NHS numbers a call, prod = 5,000',
        ).choices(['int', 'prod']),
      )
      .addOption(
        new Option('--pack <file>', 'fixture pack JSON (default: config pack, else the embedded default pack)'),
      )
      .addOption(
        new Option('--state-dir <dir>', 'where registrations, pulls and signing keys persist (default .pca-harness)'),
      )
      .addOption(
        new Option(
          '--public-url <url>',
          'the URL others reach the platform at, when not http://host:port (tokens carry its issuer)',
        ),
      )
      .addOption(
        new Option(
          '--pull-rate <tps>',
          'most pulls a second the scheduler starts (default 25, config platform.pullRate)',
        ).argParser(parseNumberOption('--pull-rate')),
      );
    addConfigOption(cmd);
    cmd.addHelpText(
      'after',
      `
Endpoints (all on one port):
  /nhs-login/.well-known/openid-configuration, /nhs-login/.well-known/jwks.json, POST /nhs-login/_harness/id-token
  POST /oauth2/token            API-platform signed-JWT client credentials
  POST /records                 Record Service; why a call registered nothing: GET /_harness/records/diagnostics
  GET  /aggregator/events       consumer API (NHSD-ID-Token header, patient:identifier query)
  GET  /_harness/health, /_harness/config, /_harness/clients, /_harness/pulls, /_harness/pulls/summary
  PUT  /_harness/clients/:clientId, POST /_harness/clients/:clientId/contract-pass

Supplier endpoints are configured per clientId in platform.clients (see docs/platform.md).
Stops gracefully on SIGINT (Ctrl+C) or SIGTERM.

Examples:
  pca-harness serve
  pca-harness serve --port 8070 --mode int --profile prod
  pca-harness serve --config ./pca-harness.config.json --pack ./my-pack.json --state-dir ./.state
  pca-harness serve --host 0.0.0.0 --public-url http://platform:7070     (in a container network)`,
    );
    cmd.action(async (o: ServeOptions) => {
      const stop = untilSignal(io);
      try {
        await runServe(io, o, stop.signal);
        setExit(ExitCode.ok);
      } finally {
        stop.release();
      }
    });
  },
};

export default serveCommand;
