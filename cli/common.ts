/**
 * What every command shares: exit codes, the options every command takes, config loading and the
 * mapping from errors to exit codes. Commands stay thin: parse, call one library function, map.
 */
import { type Command, Option } from 'commander';
import { ConfigError, loadConfig, type DeepPartial, type HarnessConfig, type LoadedConfig } from '../core/config';
import { UnreachableError, TimeoutError } from '../core/http';
import { PackError } from '../fixtures/pack';
import { IgnoreRuleError } from '../suites/eva/rules';

export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  unreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

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

/** A usage error: the user asked for something that cannot be done as asked (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
  if (e instanceof ConfigError || e instanceof UsageError || e instanceof PackError || e instanceof IgnoreRuleError) {
    io.err(`error: ${e.message}`);
    return ExitCode.usage;
  }
  if (e instanceof UnreachableError || e instanceof TimeoutError) {
    io.err(`error: ${e.message}\nIs the target running, and is the URL right?`);
    return ExitCode.unreachable;
  }
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err?.code === 'string' && err.code.startsWith('commander.')) {
    return (err.exitCode === 0 ? ExitCode.ok : ExitCode.usage) as ExitCode;
  }
  io.err(`error: ${(e as Error)?.stack ?? String(e)}`);
  return ExitCode.checkFailed;
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

/** A command module registers itself on the program; the action returns the exit code. */
/** Runs a whole command line; `demo` is handed it so that it needs no import of cli/main.ts. */
export type RunCli = (argv: string[], io: CliIo) => Promise<number>;

export interface CommandModule {
  register(program: Command, io: CliIo, setExit: (code: ExitCode) => void, runCli: RunCli): void;
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
