/** Runs the CLI in-process with captured output, as a user would see it. */
import { run } from '../cli/main';
import type { CliIo } from '../cli/common';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (s) => {
      stdout += s.endsWith('\n') ? s : `${s}\n`;
    },
    err: (s) => {
      stderr += s.endsWith('\n') ? s : `${s}\n`;
    },
    isTty: false,
    env: opts.env ?? { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/** The long option names a command's --help lists, e.g. ['--port', '--host']. */
export async function optionsOf(command: string[]): Promise<string[]> {
  const { stdout, code } = await runCli([...command, '--help']);
  if (code !== 0) throw new Error(`${command.join(' ')} --help exited ${code}`);
  return [...stdout.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
}
