/**
 * `pca-harness explain`: why recent `POST /records` calls did or did not register patients, each
 * reason with its fix, read from a running platform's diagnostics.
 */
import { Option } from 'commander';
import { platformUrl } from '../../core/config';
import { explainRecords } from '../../mocks/record-service/remote';
import {
  type CommandModule,
  ExitCode,
  UsageError,
  addAdminTokenOption,
  addConfigOption,
  adminTokenFor,
  loadCliConfig,
  parseDuration,
  parseIntOption,
} from '../common';

/** `--since` takes an ISO date-time or a duration back from now (`15m`, `2m30s`). */
export function parseSince(value: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const d = new Date(value);
    if (Number.isNaN(d.getTime()))
      throw new UsageError(`--since "${value}" is not a date-time (use e.g. 2025-01-31T09:00:00Z or 15m)`);
    return d;
  }
  try {
    return new Date(now.getTime() - parseDuration(value));
  } catch {
    throw new UsageError(
      `--since "${value}" is neither an ISO date-time nor a duration (use e.g. 2025-01-31T09:00:00Z or 15m)`,
    );
  }
}

const explainCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = program
      .command('explain')
      .description(
        'print why recent POST /records calls did or did not register patients, with the fix for each reason',
      )
      .option('--url <url>', 'platform URL (default: from the config, http://127.0.0.1:7070)')
      .option('--client-id <id>', 'only calls whose body clientId or credential belongs to this client')
      .option('--since <when>', 'only calls at or after this ISO date-time, or this long ago (e.g. 15m)')
      .addOption(
        new Option('--limit <n>', 'at most this many calls, the most recent')
          .default(50)
          .argParser(parseIntOption('--limit')),
      )
      .option('--json', 'print the verdicts as JSON (NHS numbers masked)');
    addConfigOption(cmd);
    addAdminTokenOption(cmd);
    cmd.addHelpText(
      'after',
      `
Each call shows what was received, how many NHS numbers were registered and ignored, and every
reason (trailing slash, unknown API key, clientId mismatch, check digit, batch limit, ...) with
what exactly was wrong and how to fix it. NHS numbers are masked.

Exit codes: 0 every call shown registered what it was sent (notes only), 1 at least one call had
a problem, 2 usage error, 3 the platform is unreachable.

Examples:
  pca-harness explain
  pca-harness explain --url http://127.0.0.1:7070 --client-id pep-01 --since 15m
  pca-harness explain --since 2025-01-31T09:00:00Z --json`,
    );
    cmd.action(
      async (opts: {
        url?: string;
        clientId?: string;
        since?: string;
        limit: number;
        json?: boolean;
        config?: string;
        adminToken?: string;
      }) => {
        if (opts.limit < 1 || opts.limit > 1000) throw new UsageError('--limit must be from 1 to 1000');
        const { config } = loadCliConfig(io, opts);
        const url = opts.url ?? platformUrl(config);
        const access = { adminToken: adminTokenFor(io, config, opts.adminToken) };
        if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
        const since = opts.since ? parseSince(opts.since, new Date()) : undefined;
        const result = await explainRecords({
          platform: { url, ...(access.adminToken ? { adminToken: access.adminToken } : {}) },
          ...(opts.clientId ? { clientId: opts.clientId } : {}),
          ...(since ? { since } : {}),
          limit: opts.limit,
        });
        if (opts.json)
          io.out(
            `${JSON.stringify({ url, clientId: opts.clientId ?? null, since: since?.toISOString() ?? null, verdicts: result.calls }, null, 2)}\n`,
          );
        else io.out(result.text);
        setExit(result.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed);
      },
    );
  },
};

export default explainCommand;
