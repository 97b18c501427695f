/**
 * What every command shares: exit codes, the options every command takes, config loading and the
 * mapping from errors to exit codes. Commands stay thin: parse, call one library function, map.
 */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig, type DeepPartial, type HarnessConfig, type LoadedConfig } from '../core/config';
import { ExitCode, HarnessError, UsageError } from '../core/errors';
import type { ProducerResourceType } from '../core/fhir';
import { pathsByType, resourceTypeOfKey } from '../core/resource-types';
import { loadPack } from '../fixtures/default-pack';
import type { FixturePack } from '../fixtures/pack';
import { resolveAdminToken } from '../core/admin-token';

export { httpUrl } from '../core/access';

export { ExitCode, UsageError };

/** Where a command writes; tests pass buffers. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** True when stdout is a terminal: progress bars draw only then. */
  isTty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const processIo = (): CliIo => ({
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  isTty: Boolean(process.stderr.isTTY),
  env: process.env,
  cwd: process.cwd(),
});

export interface CommonOptions {
  config?: string;
  reportDir?: string;
}

export function addConfigOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--config <file>',
      'config file (default ./pca-harness.config.json when present; env PCA_HARNESS_CONFIG)',
    ),
  );
}

/** `--admin-token`: for every command that calls the platform's `/_harness` admin routes. */
export function addAdminTokenOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--admin-token <token>',
      "the platform's admin token, needed when it listens beyond loopback (default: config platform.adminToken, env PCA_HARNESS_PLATFORM_ADMIN_TOKEN, else <stateDir>/admin-token)",
    ),
  );
}

/** The admin token a command sends: the flag, else the configured one, else the platform's file in the state dir. */
export function adminTokenFor(io: CliIo, config: HarnessConfig, flag?: string): string | undefined {
  const stateDir = config.stateDir === ':memory:' ? undefined : path.resolve(io.cwd, config.stateDir);
  return resolveAdminToken({ flag, configured: config.platform.adminToken, stateDir });
}

export function addReportDirOption(cmd: Command, defaultDir = 'pca-harness-report'): Command {
  return cmd.addOption(
    new Option('--report-dir <dir>', 'where to write report.json, junit.xml and the HTML report').default(defaultDir),
  );
}

export interface SupplierAccessHelp {
  paths?: string;
  tokenUrl?: string;
  bearer?: string;
}

/**
 * The flags every command that calls a supplier's API shares (check, replay, verify), with one
 * spelling and one meaning: `--client-id` is the OAuth client the PCA uses at the token URL.
 */
export function addSupplierAccessOptions(cmd: Command, help: SupplierAccessHelp = {}): Command {
  return cmd
    .option('--supplier <url>', "base URL of the supplier's API, e.g. http://127.0.0.1:7171")
    .option(
      '--paths <list>',
      help.paths ??
        'the endpoints the supplier offers: appointments=/Appointment,documents=/DocumentReference,tasks=/Task (default: all three, from the config)',
    )
    .option(
      '--token-url <url>',
      help.tokenUrl ??
        "the supplier's OAuth token URL (client credentials, client_secret_basic); default {supplier}/oauth2/token",
    )
    .option('--client-id <id>', 'OAuth client id the PCA uses at --token-url (default: config supplier.clientId)')
    .option('--client-secret <secret>', 'OAuth client secret for --token-url (default: config supplier.clientSecret)')
    .option('--bearer <token>', help.bearer ?? 'use this access token instead of the token URL');
}

export function loadCliConfig(
  io: CliIo,
  opts: { config?: string },
  overrides: DeepPartial<HarnessConfig> = {},
): LoadedConfig {
  return loadConfig({ file: opts.config, cwd: io.cwd, env: io.env, overrides });
}

/** Maps anything a command throws to an exit code and a message a person can act on. */
export function exitCodeFor(e: unknown, io: CliIo): ExitCode {
  if (e instanceof HarnessError) {
    io.err(
      e.exitCode === ExitCode.unreachable
        ? `error: ${e.message}\nIs the target running, and is the URL right?`
        : `error: ${e.message}`,
    );
    return e.exitCode;
  }
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err?.code === 'string' && err.code.startsWith('commander.')) {
    return (err.exitCode === 0 ? ExitCode.ok : ExitCode.usage) as ExitCode;
  }
  // Not an error the harness threw on purpose: a bug. Its own exit code, never 1 ("a check failed").
  io.err(
    `internal error (exit ${ExitCode.internal}, please report it with this trace): ${(e as Error)?.stack ?? String(e)}`,
  );
  return ExitCode.internal;
}

export function parseIntOption(name: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) throw new UsageError(`${name} must be a whole number, got "${v}"`);
    return Number(v);
  };
}

export function parseNumberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n)) throw new UsageError(`${name} must be a number, got "${v}"`);
    return n;
  };
}

/** `1m30s`, `20s`, `500ms`, `2m` or a bare number of seconds -> milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(v.trim());
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  if (!m || v.trim() === '') throw new UsageError(`"${v}" is not a duration (use e.g. 20s, 1m30s, 500ms)`);
  return Number(m[1] ?? 0) * 60_000 + Math.round(Number(m[2] ?? 0) * 1000) + Number(m[3] ?? 0);
}

/** A command module registers itself on the program: parse flags, call one library function, print, set the exit code. */
export interface CommandModule {
  register(program: Command, io: CliIo, setExit: (code: ExitCode) => void): void;
}

/** Ctrl+C or SIGTERM aborts `signal`; `release` removes the handlers when the command is done. */
export function untilSignal(io: CliIo): { signal: AbortSignal; release: () => void } {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    io.err(`received ${sig}`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** `appointments=/fhir/Appointment,tasks=/Task` -> paths by resource type (`--paths`). */
export function parsePaths(v: string): Partial<Record<ProducerResourceType, string>> {
  const out: Partial<Record<ProducerResourceType, string>> = {};
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim().toLowerCase() : '';
    const p = eq > 0 ? part.slice(eq + 1).trim() : '';
    const type = resourceTypeOfKey(key);
    if (!type) throw new UsageError(`--paths: "${part}" must be appointments=/Path, documents=/Path or tasks=/Path`);
    if (!/^\/[^?#\s]*$/.test(p))
      throw new UsageError(`--paths: the path for ${key} must start with "/" and have no query, got "${p}"`);
    out[type] = p;
  }
  if (Object.keys(out).length === 0)
    throw new UsageError('--paths needs at least one endpoint, e.g. appointments=/Appointment');
  return out;
}

/** `--paths` when given, else the supplier paths of the config. */
export function pathsFromFlagOrConfig(
  flag: string | undefined,
  config: HarnessConfig,
): Partial<Record<ProducerResourceType, string>> {
  return flag ? parsePaths(flag) : pathsByType(config.supplier.paths);
}

/** `--pack` (relative to the working directory), else the config's pack, else the default pack built for today. */
export function loadCliPack(io: CliIo, flag: string | undefined, config: HarnessConfig): FixturePack {
  return loadPack(flag ? path.resolve(io.cwd, flag) : config.pack || undefined, new Date());
}
