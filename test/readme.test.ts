/**
 * The README is the front door: its quick-start commands are run as written (extracted from the
 * README itself), its generated sections equal what the code generates, and every command, flag and
 * document it names exists. So the README cannot drift from the product.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optionsOf, runCli } from '../test-support/cli';
import { renderReadmeSections, sectionOf } from '../test-support/readme';

const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The shell blocks of the "Quick start" section, as lists of commands. */
function quickStartBlocks(): string[][] {
  const section = /## Quick start\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean),
  );
}

describe('README quick start', () => {
  const [mainJob, tests] = quickStartBlocks();

  it('shows the two commands first: install + demo, install + test', () => {
    expect(mainJob).toEqual(['npm ci', 'npm run demo']);
    expect(tests).toEqual(['npm ci', 'npm test']);
  });

  it('is exactly what CI runs for the tests', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^npm /.test(l));
    expect(ci).toEqual(tests);
  });

  it('`npm run demo` runs the demo and exits 0, leaving the reports', () => {
    const script = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts.demo;
    expect(script).toBe('node bin/pca-harness.js demo');
    const reportDir = mkdtempSync(path.join(os.tmpdir(), 'pca-readme-demo-'));
    // The README's command, as npm runs it, with the reports sent to a temporary directory.
    const [cmd, ...args] = mainJob![1]!.split(' ');
    const r = spawnSync(cmd!, [...args, '--', '--report-dir', reportDir, '--load-duration', '3s'], {
      cwd: root,
      env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'warn', npm_config_loglevel: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: r.status, tail: (r.stdout + r.stderr).slice(-1500) }).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(/ALL PASSED: upload pass, check pass, replay pass, verify pass, load pass/);
    for (const f of [
      'index.html',
      'junit.xml',
      'check/report.html',
      'replay/eva.html',
      'verify/junit.xml',
      'load/load.html',
    ]) {
      expect(existsSync(path.join(reportDir, f))).toBe(true);
    }
  }, 150_000);
});

describe('README content', () => {
  it('carries the check catalogue exactly as the code generates it (npm run docs:readme)', () => {
    for (const [name, body] of Object.entries(renderReadmeSections())) expect(sectionOf(readme, name)).toBe(body);
  });

  it('links only documents that exist', () => {
    const links = [...readme.matchAll(/\]\(((?:docs|examples)\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(existsSync(path.join(root, l))).toBe(true);
    for (const f of ['examples/ci/github-actions.yml', 'examples/ci/azure-pipelines.yml', 'docs/spec-errata.md'])
      expect(readme).toContain(f);
  });

  it('names only real commands and flags', async () => {
    const calls = [...readme.matchAll(/(?:npx )?pca-harness ([a-z]+)((?: (?:--[a-z0-9-]+|[^\s`-][^\s`]*|"[^"]*"))*)/g)];
    expect(calls.length).toBeGreaterThan(10);
    const seen = new Map<string, string[]>();
    for (const [, name, rest] of calls) {
      const words = (rest ?? '').trim().split(/\s+/);
      // `fixtures default --out ...`: a bare first word may be a subcommand.
      const sub =
        words[0] && /^[a-z]+$/.test(words[0]) && (await runCli([name!, words[0], '--help'])).code === 0
          ? words[0]
          : undefined;
      const command = sub ? [name!, sub] : [name!];
      const key = command.join(' ');
      if (!seen.has(key)) {
        const help = await runCli([...command, '--help']);
        expect({ key, code: help.code }).toEqual({ key, code: 0 });
        seen.set(key, await optionsOf(command));
      }
      for (const f of words.filter((a) => a.startsWith('--')))
        expect({ key, flag: f, known: seen.get(key)!.includes(f) }).toEqual({ key, flag: f, known: true });
    }
  });
});
