/**
 * `pca-harness reconcile`: compares the distinct NHS numbers the Record Service holds for a client
 * up to a point in time with what the supplier says it sent (WF-NFR-RS-06/09).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformUrl } from '../../core/config';
import {
  compareReconciliation,
  fetchReconciliation,
  fetchRegisteredNumbers,
  renderReconciliation,
  PlatformResponseError,
} from '../../mocks/record-service/remote';
import {
  type CommandModule,
  ExitCode,
  UsageError,
  addAdminTokenOption,
  addConfigOption,
  adminTokenFor,
  loadCliConfig,
  parseIntOption,
} from '../common';

/** A file of NHS numbers: a JSON array, or one per line (blank lines and `#` comments ignored). */
export function readNumbersFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read --numbers file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let values: unknown[];
  if (text.trimStart().startsWith('[')) {
    try {
      values = JSON.parse(text) as unknown[];
    } catch (e) {
      throw new UsageError(`--numbers file ${file} starts like JSON but is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    values = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  }
  const bad = values.findIndex((v) => typeof v !== 'string' || !/^[0-9]{10}$/.test(v));
  if (bad >= 0) throw new UsageError(`--numbers file ${file}: entry ${bad + 1} is not a 10-digit NHS number`);
  return values as string[];
}

const reconcileCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = program
      .command('reconcile')
      .description(
        'compare the distinct NHS numbers the Record Service holds for a client with what the supplier says it sent',
      )
      .option('--url <url>', 'platform URL (default: from the config, http://127.0.0.1:7070)')
      .requiredOption('--client-id <id>', 'the clientId the supplier uploaded with')
      .option(
        '--expected <n>',
        'distinct NHS numbers the supplier says it sent (default: the count in --numbers)',
        parseIntOption('--expected'),
      )
      .option('--until <iso>', 'count registrations first seen at or before this ISO date-time (default: now)')
      .option(
        '--numbers <file>',
        'the NHS numbers the supplier sent (JSON array or one per line): names the missing ones',
      )
      .option(
        '--write-missing <file>',
        'with --numbers: write the missing NHS numbers there, one per line, for a replay',
      )
      .option('--json', 'print the result as JSON (NHS numbers masked)');
    addConfigOption(cmd);
    addAdminTokenOption(cmd);
    cmd.addHelpText(
      'after',
      `
WF-NFR-RS-06/09: a supplier must be able to give the count of distinct NHS numbers it uploaded
successfully up to a requested point in time. This command asks the platform for its count and
compares.

Exit codes: 0 the counts (and lists, with --numbers) agree, 1 they differ, 2 usage error,
3 the platform is unreachable.

Examples:
  pca-harness reconcile --client-id pep-01 --expected 120000
  pca-harness reconcile --url http://127.0.0.1:7070 --client-id pep-01 --expected 5000 --until 2025-01-31T18:00:00Z
  pca-harness reconcile --client-id pep-01 --numbers sent.txt --write-missing replay.txt`,
    );
    cmd.action(
      async (opts: {
        url?: string;
        clientId: string;
        expected?: number;
        until?: string;
        numbers?: string;
        writeMissing?: string;
        json?: boolean;
        config?: string;
        adminToken?: string;
      }) => {
        if (opts.expected === undefined && !opts.numbers)
          throw new UsageError('give --expected <n> or --numbers <file>');
        if (opts.expected !== undefined && opts.expected < 0) throw new UsageError('--expected must not be negative');
        if (opts.writeMissing && !opts.numbers) throw new UsageError('--write-missing needs --numbers');
        let until: Date | undefined;
        if (opts.until) {
          until = new Date(opts.until);
          if (!/^\d{4}-\d{2}-\d{2}/.test(opts.until) || Number.isNaN(until.getTime()))
            throw new UsageError(`--until "${opts.until}" is not an ISO date-time (e.g. 2025-01-31T18:00:00Z)`);
        }
        const { config } = loadCliConfig(io, opts);
        const url = opts.url ?? platformUrl(config);
        const access = { adminToken: adminTokenFor(io, config, opts.adminToken) };
        if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
        const sent = opts.numbers ? readNumbersFile(path.resolve(io.cwd, opts.numbers)) : undefined;
        const expected = opts.expected ?? new Set(sent).size;
        try {
          const rec = await fetchReconciliation(url, opts.clientId, until, access);
          const registered = sent
            ? await fetchRegisteredNumbers(url, opts.clientId, new Date(rec.until), undefined, access)
            : undefined;
          const result = compareReconciliation(rec, { expected, sent }, registered);
          if (opts.writeMissing && result.missing) {
            writeFileSync(path.resolve(io.cwd, opts.writeMissing), result.missing.map((n) => `${n}\n`).join(''));
            io.err(`wrote ${result.missing.length} missing NHS number(s) to ${opts.writeMissing}`);
          }
          if (opts.json) {
            const { missing, unexpected, ...rest } = result;
            io.out(
              `${JSON.stringify({ ...rest, knownClient: rec.knownClient, missing: missing?.length, unexpected: unexpected?.length }, null, 2)}\n`,
            );
          } else {
            io.out(renderReconciliation(result, rec.knownClient));
          }
          setExit(result.matches ? ExitCode.ok : ExitCode.checkFailed);
        } catch (e) {
          if (e instanceof PlatformResponseError) throw new UsageError(e.message);
          throw e;
        }
      },
    );
  },
};

export default reconcileCommand;
