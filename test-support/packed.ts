/**
 * The package as a user installs it: `npm pack` (without scripts: `npm test` has already built
 * dist/) extracted into `<dir>/node_modules/pca-harness`. `dir` lies inside this repository, so the
 * package's own dependencies resolve from the root node_modules, hermetically, with no registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';

export const REPO_ROOT = path.resolve(__dirname, '..');

export function installPacked(dir: string): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
    const target = path.join(dir, 'node_modules', 'pca-harness');
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    tar.x({ file: path.join(tmp, filename!), cwd: target, strip: 1, sync: true });
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
