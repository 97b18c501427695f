/**
 * The CLI as a process whose reader goes away early (`pca-harness supplier --help | head`): it stops
 * quietly instead of dying with an EPIPE stack trace, for every command.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'cli', 'bin.ts'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
      },
    );
    // The reader is gone before the first write, as `| head` is after its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout', () => {
  it.each([['supplier --help'], ['fixtures generate --help']])(
    '`pca-harness %s | head` stops quietly (no EPIPE stack trace)',
    async (command) => {
      const r = await runWithClosedStdout(command.split(' '));
      expect(r.stderr).not.toMatch(/EPIPE|Error:|at /);
      expect(r.code).toBe(0);
    },
    30_000,
  );
});
