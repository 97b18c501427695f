import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/cli';
import { buildDefaultPack, defaultPackMarkdownTable } from '../../fixtures/default-pack';
import { generatePack } from '../../fixtures/generate';
import type { FixturePack } from '../../fixtures/pack';
import { serialisePack } from '../../fixtures/write';

let dir: string;
const env = { PCA_HARNESS_LOG_LEVEL: 'silent' };
const cli = (args: string[]) => runCli(args, { cwd: dir, env });
const ON = new Date(Date.UTC(2025, 5, 1));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-fixtures-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pca-harness fixtures generate', () => {
  it('writes the same pack as the library for the seed and day, and summarises it', async () => {
    const out = path.join(dir, 'gen.json');
    const r = await cli(['fixtures', 'generate', '--count', '40', '--seed', '5', '--out', out, '--on', '2025-06-01']);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(serialisePack(generatePack({ count: 40, seed: 5, on: ON })));
    expect(r.stdout).toContain(`wrote ${out}: 40 patients`);
    expect(r.stdout).toMatch(/eligible on 2025-06-01: \d+/);
    expect(r.stdout).toMatch(/by scenario:\n\s+\d+ {2}outpatient/);
    expect(r.stderr).toBe('');
  });

  it('streams to stdout with "-", keeping the summary on stderr, and uses the portal base given', async () => {
    const r = await cli([
      'fixtures',
      'generate',
      '--count',
      '3',
      '--seed',
      '1',
      '--out',
      '-',
      '--on',
      '2025-06-01',
      '--portal-base-url',
      'https://pep.trust.example',
    ]);
    expect(r.code).toBe(0);
    const pack = JSON.parse(r.stdout) as FixturePack;
    expect(pack.patients).toHaveLength(3);
    expect(pack.portalBaseUrl).toBe('https://pep.trust.example');
    expect(r.stderr).toContain('wrote stdout: 3 patients');
  });

  it('takes the portal base from the config file when no flag is given', async () => {
    const cfgDir = mkdtempSync(path.join(dir, 'cfg-'));
    writeFileSync(
      path.join(cfgDir, 'pca-harness.config.json'),
      JSON.stringify({ supplier: { portalBaseUrl: 'https://from-config.example' } }),
    );
    const r = await runCli(['fixtures', 'generate', '--count', '2', '--out', '-'], { cwd: cfgDir, env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as FixturePack).portalBaseUrl).toBe('https://from-config.example');
  });

  it('resolves a relative --out against the working directory', async () => {
    const r = await cli(['fixtures', 'generate', '--count', '2', '--out', 'relative.json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(path.join(dir, 'relative.json'), 'utf8')) as FixturePack).patients).toHaveLength(2);
    const s = await cli(['fixtures', 'summary', 'relative.json']);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('patients: 2');
  });

  it('prints progress to stderr for large packs', async () => {
    const out = path.join(dir, 'big.json');
    const r = await cli(['fixtures', 'generate', '--count', '5000', '--seed', '2', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('generating: '))).toHaveLength(10);
    expect(r.stderr).toContain('generating: 5000/5000 patients (100%)');
  });

  it.each([
    [['--count', '0', '--out', 'x.json'], /--count must be at least 1/],
    [['--count', 'ten', '--out', 'x.json'], /--count must be a whole number/],
    [['--count', '5'], /required option '--out <file>'/],
    [['--count', '5', '--out', 'x.json', '--on', '2025-02-30'], /--on: "2025-02-30" is not a calendar day/],
    [['--count', '5', '--out', 'x.json', '--portal-base-url', 'http://plain.example'], /--portal-base-url: .*https/],
    [['--count', '5', '--out', 'x.json', '--prefix', '0999'], /--prefix must be/],
    [['--count', '2000', '--out', 'x.json', '--prefix', '99999999'], /holds at most 9 distinct NHS numbers/],
    [['--count', '5', '--out', path.join('no-such-dir', 'x.json')], /cannot write .*ENOENT/],
  ])('refuses %j with exit 2 and a reason', async (args, message) => {
    const r = await cli(['fixtures', 'generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('pca-harness fixtures default', () => {
  it('materialises the default pack for the day and prints its summary with NHS numbers masked', async () => {
    const out = path.join(dir, 'default.json');
    const r = await cli(['fixtures', 'default', '--out', out, '--on', '2025-06-01']);
    expect(r.code).toBe(0);
    const pack = buildDefaultPack(ON);
    expect(readFileSync(out, 'utf8')).toBe(serialisePack(pack));
    expect(r.stdout).toContain(`patients: ${pack.patients.length}   eligible today: ${pack.patients.length - 4}`);
    for (const p of pack.patients) expect(r.stdout).not.toContain(p.nhsNumber);
  });
});

describe('pca-harness fixtures summary', () => {
  it('summarises a pack file as of a later day: the turns-16 patient has become eligible', async () => {
    const file = path.join(dir, 'sum.json');
    writeFileSync(file, serialisePack(buildDefaultPack(ON)));
    const today = await cli(['fixtures', 'summary', file, '--on', '2025-06-01']);
    const week = await cli(['fixtures', 'summary', file, '--on', '2025-06-08']);
    expect([today.code, week.code]).toEqual([0, 0]);
    expect(today.stdout).toContain('eligible today: 24   under 16: 2');
    expect(week.stdout).toContain('eligible today: 25   under 16: 1');
  });

  it('summarises the embedded default pack when no file is named, as JSON on request', async () => {
    const r = await cli(['fixtures', 'summary', '--json', '--on', '2025-06-01']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as {
      patients: number;
      eligible: number;
      problems: unknown[];
      rows: Array<{ nhsNumber: string }>;
    };
    expect(s).toEqual(
      expect.objectContaining({ patients: buildDefaultPack(ON).patients.length, eligible: 24, problems: [] }),
    );
    expect(s.rows.every((row) => /^999\*{6}\d$/.test(row.nhsNumber))).toBe(true);
  });

  it('exits 2 listing the problems of an inconsistent pack', async () => {
    const pack = buildDefaultPack(ON);
    pack.patients[0]!.expected.Appointment!.total = 9;
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, serialisePack(pack));
    const r = await cli(['fixtures', 'summary', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 problem(s) in the pack');
    expect(r.stderr).toContain('/patients/0/expected/Appointment/total: total is 9 but the bundle has 1 entries');
  });

  it('exits 2 for a file that is not a pack', async () => {
    const file = path.join(dir, 'nonsense.json');
    writeFileSync(file, '[1, 2');
    const r = await cli(['fixtures', 'summary', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});

describe('pca-harness fixtures describe', () => {
  it('prints the scenario table of docs/fixture-pack.md', async () => {
    const r = await cli(['fixtures', 'describe']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(defaultPackMarkdownTable());
  });

  it('lists its subcommands and examples in --help', async () => {
    const r = await cli(['fixtures', 'generate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--portal-base-url');
    expect(r.stdout).toContain('Examples:');
  });
});
