/**
 * `pca-harness fixtures`: write the default pack or a generated one to a file a supplier imports
 * into their own system, summarise a pack, and print the default pack's scenario table.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { isoDate } from '../../core/clock';
import { buildDefaultPack, defaultPackMarkdownTable, describeDefaultPack, loadPack } from '../../fixtures/default-pack';
import { checkPack } from '../../fixtures/check';
import { generatedPackHeader, generatePatients } from '../../fixtures/generate';
import { ineligibility, parsePackDay, type PackPatient } from '../../fixtures/pack';
import { packUrls } from '../../fixtures/resources';
import { renderSummary, summarisePack } from '../../fixtures/summary';
import { type PackHeader, serialisePack, writePackFile } from '../../fixtures/write';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addConfigOption,
  loadCliConfig,
  parseIntOption,
} from '../common';

/** Progress lines start at this many patients; smaller packs are written before anyone could read them. */
const PROGRESS_FROM = 5_000;

function day(value: string | undefined): Date {
  if (value === undefined) {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  }
  try {
    return parsePackDay(value);
  } catch (e) {
    throw new UsageError(`--on: ${(e as Error).message}`);
  }
}

function portalBase(io: CliIo, opts: { config?: string; portalBaseUrl?: string }): string {
  const base = opts.portalBaseUrl ?? loadCliConfig(io, opts).config.supplier.portalBaseUrl;
  try {
    return packUrls(base).portalBaseUrl;
  } catch (e) {
    throw new UsageError(`--portal-base-url: ${(e as Error).message}`);
  }
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

/** Writes to a file, or to stdout for `-`; the summary then goes to stderr so stdout stays JSON. */
function emit(
  io: CliIo,
  out: string,
  header: PackHeader,
  patients: Iterable<PackPatient>,
  onPatient?: (n: number) => void,
): { patients: number; bytes: number } {
  if (out === '-') {
    const all = [...patients];
    all.forEach((_, i) => onPatient?.(i + 1));
    const text = serialisePack({ ...header, patients: all });
    io.out(text);
    return { patients: all.length, bytes: Buffer.byteLength(text) };
  }
  try {
    return writePackFile(path.resolve(io.cwd, out), header, patients, onPatient);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.syscall) throw new UsageError(`cannot write ${out}: ${err.code}`);
    throw e;
  }
}

function addDayOption(cmd: Command, what: string): Command {
  return cmd.addOption(new Option('--on <YYYY-MM-DD>', `${what} (default today, UTC)`));
}

const fixturesCommand: CommandModule = {
  register(program, io, setExit) {
    const fixtures = program
      .command('fixtures')
      .description('write, generate and summarise fixture packs (the test patients a supplier imports)');
    fixtures.addHelpText(
      'after',
      `
A pack is JSON: { name, generatedAt, patients: [ { nhsNumber, birthDate, name, flags, expected } ] },
where "expected" holds the exact bundles a conforming supplier returns. See docs/fixture-pack.md.`,
    );

    const gen = fixtures
      .command('generate')
      .description('write a deterministic pack of N synthetic patients (same seed and day -> same bytes)')
      .requiredOption('--count <n>', 'number of patients', parseIntOption('--count'))
      .addOption(
        new Option('--seed <s>', 'seed; the same seed and --on give the same pack')
          .default(1)
          .argParser(parseIntOption('--seed')),
      )
      .requiredOption('--out <file>', 'where to write the pack ("-" for stdout)')
      .option(
        '--portal-base-url <url>',
        'https base of portal deep links and FHIR references (default: config supplier.portalBaseUrl)',
      )
      .addOption(
        new Option('--prefix <digits>', 'NHS number prefix (numbers starting 9 are never issued to patients)').default(
          '999',
        ),
      )
      .option('--name <name>', 'pack name');
    addDayOption(gen, 'the day dates and ages are relative to');
    addConfigOption(gen);
    gen.addHelpText(
      'after',
      `
Examples:
  pca-harness fixtures generate --count 500 --seed 7 --out pack.json
  pca-harness fixtures generate --count 100000 --seed 1 --out big.json --on 2025-06-01
  pca-harness fixtures generate --count 20 --seed 3 --out - --portal-base-url https://portal.my-trust.example`,
    );
    gen.action(
      (opts: {
        count: number;
        seed: number;
        out: string;
        portalBaseUrl?: string;
        prefix: string;
        name?: string;
        on?: string;
        config?: string;
      }) => {
        if (opts.count < 1) throw new UsageError('--count must be at least 1');
        if (!/^[1-9][0-9]{0,8}$/.test(opts.prefix))
          throw new UsageError(`--prefix must be 1-9 digits not starting with 0, got "${opts.prefix}"`);
        const capacity = Math.floor(10 ** (9 - opts.prefix.length) * 0.9);
        if (opts.count > capacity)
          throw new UsageError(
            `--prefix ${opts.prefix} holds at most ${capacity} distinct NHS numbers; use a shorter prefix or a smaller --count`,
          );
        const on = day(opts.on);
        const genOpts = {
          count: opts.count,
          seed: opts.seed,
          on,
          portalBaseUrl: portalBase(io, opts),
          prefix: opts.prefix,
          name: opts.name,
        };

        const byScenario = new Map<string, number>();
        let eligible = 0;
        function* tallied(): Generator<PackPatient> {
          for (const p of generatePatients(genOpts)) {
            byScenario.set(p.scenario ?? '(none)', (byScenario.get(p.scenario ?? '(none)') ?? 0) + 1);
            if (!ineligibility(p, on)) eligible += 1;
            yield p;
          }
        }
        const step = Math.ceil(opts.count / 10);
        const progress =
          opts.count >= PROGRESS_FROM
            ? (n: number) => {
                if (n % step === 0 || n === opts.count)
                  io.err(`generating: ${n}/${opts.count} patients (${Math.round((n / opts.count) * 100)}%)`);
              }
            : undefined;
        const written = emit(io, opts.out, generatedPackHeader(genOpts), tallied(), progress);

        const say = opts.out === '-' ? io.err : io.out;
        const lines = [
          `wrote ${opts.out === '-' ? 'stdout' : opts.out}: ${written.patients} patients (${formatBytes(written.bytes)}), seed ${opts.seed}, dates relative to ${isoDate(on)}`,
          `eligible on ${isoDate(on)}: ${eligible} (the rest are under 16, sensitive or excluded by their trust)`,
          'by scenario:',
          ...[...byScenario.entries()]
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .map(([s, n]) => `  ${String(n).padStart(7)}  ${s}`),
        ];
        say(`${lines.join('\n')}\n`);
        setExit(ExitCode.ok);
      },
    );

    const def = fixtures
      .command('default')
      .description(
        'write the default pack (one patient per scenario of the producer standard) for a supplier to import',
      )
      .requiredOption('--out <file>', 'where to write the pack ("-" for stdout)')
      .option(
        '--portal-base-url <url>',
        'https base of portal deep links and FHIR references (default: config supplier.portalBaseUrl)',
      );
    addDayOption(def, 'the day dates and ages are relative to; re-materialise often, ages are right only for that day');
    addConfigOption(def);
    def.addHelpText(
      'after',
      `
Examples:
  pca-harness fixtures default --out pack.json
  pca-harness fixtures default --out pack.json --portal-base-url https://portal.my-trust.example --on 2025-06-01`,
    );
    def.action((opts: { out: string; portalBaseUrl?: string; on?: string; config?: string }) => {
      const on = day(opts.on);
      const pack = buildDefaultPack(on, { portalBaseUrl: portalBase(io, opts) });
      const written = emit(io, opts.out, pack, pack.patients);
      const say = opts.out === '-' ? io.err : io.out;
      say(
        `wrote ${opts.out === '-' ? 'stdout' : opts.out}: ${written.patients} patients (${formatBytes(written.bytes)}), dates relative to ${isoDate(on)}\n`,
      );
      say(renderSummary(summarisePack(pack, on)));
      setExit(ExitCode.ok);
    });

    const sum = fixtures
      .command('summary')
      .argument('[file]', 'pack file (default: the embedded default pack)')
      .description(
        'counts by scenario and trust, who is eligible on a day, and any inconsistency in the pack (NHS numbers masked)',
      )
      .option('--json', 'print the summary as JSON');
    addDayOption(sum, 'the day ages and eligibility are computed for');
    sum.addHelpText(
      'after',
      `
Exit codes: 0 the pack is consistent, 2 it cannot be read or has problems (listed with JSON pointers).

Examples:
  pca-harness fixtures summary pack.json
  pca-harness fixtures summary pack.json --on 2026-01-01 --json`,
    );
    sum.action((file: string | undefined, opts: { json?: boolean; on?: string }) => {
      const on = day(opts.on);
      const pack = loadPack(file ? path.resolve(io.cwd, file) : undefined, on);
      const summary = summarisePack(pack, on);
      const problems = checkPack(pack);
      if (opts.json) {
        io.out(`${JSON.stringify({ ...summary, problems }, null, 2)}\n`);
      } else {
        io.out(renderSummary(summary));
        if (problems.length > 0) {
          const shown = problems.slice(0, 50).map((p) => `  ${p.pointer}: ${p.message}`);
          if (problems.length > shown.length) shown.push(`  ... and ${problems.length - shown.length} more`);
          io.err(`${problems.length} problem(s) in the pack:\n${shown.join('\n')}\n`);
        }
      }
      setExit(problems.length > 0 ? ExitCode.usage : ExitCode.ok);
    });

    fixtures
      .command('describe')
      .description("print the default pack's scenarios (the table in docs/fixture-pack.md)")
      .option('--json', 'print the rows as JSON')
      .action((opts: { json?: boolean }) => {
        io.out(opts.json ? `${JSON.stringify(describeDefaultPack(), null, 2)}\n` : defaultPackMarkdownTable());
        setExit(ExitCode.ok);
      });
  },
};

export default fixturesCommand;
