/**
 * examples/supplier-jest as a supplier runs it: its own Jest, against the package as `npm pack`
 * builds it (not our sources), hermetically (its dependencies resolve from the root node_modules).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { installPacked, REPO_ROOT } from '../test-support/packed';

const example = path.join(REPO_ROOT, 'examples', 'supplier-jest');

describe('examples/supplier-jest', () => {
  it('passes its own Jest suite against the packed pca-harness, and its broken build fails as it should', () => {
    const installed = installPacked(example);
    expect(installed).toBe(path.join(example, 'node_modules', 'pca-harness'));
    const jest = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    const r = spawnSync(process.execPath, [jest, '--rootDir', example, '--ci', '--colors=false'], {
      cwd: example,
      encoding: 'utf8',
      env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
    });
    const output = `${r.stdout}${r.stderr}`;
    expect({ code: r.status, output }).toEqual({
      code: 0,
      output: expect.stringMatching(/Tests:\s+3 passed, 3 total/),
    });
    // The example's require('pca-harness') resolved to the packed copy.
    expect(require.resolve('pca-harness', { paths: [example] })).toBe(path.join(installed, 'dist', 'index.js'));
  }, 240_000);
});
