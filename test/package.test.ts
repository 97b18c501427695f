/**
 * The built package, imported the way a supplier's test suite imports it: `require('pca-harness')`
 * and `import ... from 'pca-harness'` from a copy made by `npm pack`, with the same named exports
 * both ways, types that compile for a CommonJS and an ESM consumer, and a platform that starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installPacked, REPO_ROOT } from '../test-support/packed';

const dir = path.join(REPO_ROOT, '.pack-test', `package-${process.pid}`);
const node = (file: string) => execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  installPacked(dir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('holds the build, the ESM entry and the shipped pacts, and no sources or tests', () => {
    const pkg = path.join(dir, 'node_modules', 'pca-harness');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.mjs', 'dist/index.d.mts', 'contracts/pacts'])
      expect(existsSync(path.join(pkg, f))).toBe(true);
    expect(existsSync(path.join(pkg, 'index.ts'))).toBe(false);
    expect(existsSync(path.join(pkg, 'dist', 'mocks', 'platform.test.js'))).toBe(false);
  });

  it('gives CommonJS and ESM consumers the same named exports, and a platform starts from either', () => {
    writeFileSync(
      path.join(dir, 'cjs.cjs'),
      `const h = require('pca-harness');
h.startPlatform().then(async (p) => {
  const token = await p.mintIdToken(h.defaultPack().patients[0]);
  await p.close();
  console.log(JSON.stringify({ names: Object.keys(h).sort(), issuer: p.issuer.endsWith('/nhs-login'), jwt: token.split('.').length }));
});`,
    );
    writeFileSync(
      path.join(dir, 'esm.mjs'),
      `import * as h from 'pca-harness';
import harness, { runChecks, UsageError } from 'pca-harness';
const names = Object.keys(h).filter((n) => n !== 'default').sort();
console.log(JSON.stringify({ names, sameDefault: harness.runChecks === runChecks, error: new UsageError('x').exitCode }));`,
    );
    const cjs = JSON.parse(node('cjs.cjs')) as { names: string[]; issuer: boolean; jwt: number };
    const esm = JSON.parse(node('esm.mjs')) as { names: string[]; sameDefault: boolean; error: number };
    expect(cjs.issuer).toBe(true);
    expect(cjs.jwt).toBe(3);
    expect(esm.names).toEqual(cjs.names);
    expect(esm.sameDefault).toBe(true);
    expect(esm.error).toBe(2);
    for (const name of [
      'startPlatform',
      'startReferenceSupplier',
      'runChecks',
      'runReplay',
      'verifyContract',
      'runLoad',
      'defaultPack',
      'generatePack',
      'validatePayload',
      'explainRecords',
      'checkCatalogue',
      'requirementRegistry',
      'HarnessError',
      'ConfigError',
      'UnreachableError',
    ])
      expect(cjs.names).toContain(name);
  }, 60_000);

  it('ships types a CommonJS and an ESM TypeScript consumer compile against (and a misuse does not)', () => {
    const consumer = `import { runChecks, type ChecksResult, validatePayload, checkCatalogue } from 'pca-harness';
export async function mustFailures(url: string): Promise<string[]> {
  const r: ChecksResult = await runChecks({ supplierUrl: url });
  return r.findings.filter((f) => f.level === 'MUST').map((f) => f.name);
}
export const valid: boolean = validatePayload('appointments', {}).valid;
export const ids: string[] = checkCatalogue.map((c) => c.id);
`;
    writeFileSync(path.join(dir, 'consumer.ts'), consumer);
    writeFileSync(path.join(dir, 'consumer.mts'), consumer);
    writeFileSync(
      path.join(dir, 'wrong.ts'),
      `import { runChecks } from 'pca-harness';\nrunChecks({ supplier: 1 });\n`,
    );
    const compile = (...files: string[]) => {
      const r = spawnSync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          '--module',
          'node16',
          '--moduleResolution',
          'node16',
          '--types',
          'node',
          ...files,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      return { code: r.status, output: `${r.stdout}${r.stderr}` };
    };
    expect(compile('consumer.ts', 'consumer.mts')).toEqual({ code: 0, output: '' });
    const wrong = compile('wrong.ts');
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/wrong\.ts.*'supplier' does not exist in type 'RunChecksOptions'/);
  }, 120_000);
});
