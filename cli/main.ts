/**
 * The `pca-harness` CLI. Thin: commands parse arguments, call one library function each and map
 * the result to an exit code (0 pass, 1 a MUST check failed, 2 usage/config error, 3 unreachable).
 */
import { Command, CommanderError } from 'commander';
import { type CliIo, type CommandModule, ExitCode, exitCodeFor, processIo } from './common';
import { version } from '../core/version';
import validate from './commands/validate';
import fixtures from './commands/fixtures';
import serve from './commands/serve';
import init from './commands/init';
import evidence from './commands/evidence';
import demo from './commands/demo';
import explain from './commands/explain';
import reconcile from './commands/reconcile';
import load from './commands/load';
import check from './commands/check';
import supplier from './commands/supplier';
import verify from './commands/verify';
import pact from './commands/pact';
import replay from './commands/replay';

/** Every command, in the order `--help` lists them. */
const COMMANDS: CommandModule[] = [
  demo,
  init,
  serve,
  validate,
  fixtures,
  explain,
  reconcile,
  load,
  check,
  supplier,
  evidence,
  verify,
  pact,
  replay,
];

export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exit: ExitCode = ExitCode.ok;
  const program = new Command('pca-harness')
    .description('Contract-testing and mock harness for the NHS England Patient Care Aggregator (PCA).')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Exit codes: 0 all MUST checks passed, 1 a check failed, 2 usage or configuration error, 3 target unreachable.
Configuration: pca-harness.config.json in the working directory (or --config), overridden by PCA_HARNESS_* variables.`,
  );
  for (const c of COMMANDS)
    c.register(
      program,
      io,
      (code) => {
        exit = code;
      },
      run,
    );
  for (const sub of program.commands)
    sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return exitCodeFor(e, io);
  }
}
