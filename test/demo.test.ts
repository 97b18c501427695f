/**
 * `demo --fault NAME` shows a failing run: the fault turns exactly the suites red that it should,
 * and the index and merged JUnit say so. (The passing demo is run by the README test, as written.)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../test-support/cli';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'pca-demo-'));
}

interface Summary {
  verdict: string;
  fault: string | null;
  suites: Array<{ key: string; verdict: string; highlights?: string[] }>;
}

async function demo(args: string[]): Promise<{ code: number; stdout: string; summary: Summary; dir: string }> {
  const dir = tmp();
  const r = await runCli(['demo', '--report-dir', dir, ...args], {
    env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
  });
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  return { code: r.code, stdout: r.stdout, summary, dir };
}

const verdicts = (s: Summary) => Object.fromEntries(s.suites.map((x) => [x.key, x.verdict]));

describe('demo --fault', () => {
  it('drops-cancelled: the cancelled-appointments check and the EVA replay fail, nothing else', async () => {
    const r = await demo(['--fault', 'drops-cancelled', '--skip', 'load']);
    expect(r.code).toBe(1);
    expect(verdicts(r.summary)).toEqual({ upload: 'pass', check: 'fail', replay: 'fail', verify: 'pass' });
    const check = r.summary.suites.find((s) => s.key === 'check')!;
    expect(check.highlights).toHaveLength(1);
    expect(check.highlights![0]).toMatch(/^GA-23 /);
    expect(r.stdout).toMatch(/^FAIL: upload pass, check fail, replay fail, verify pass$/m);
    const junit = readFileSync(path.join(r.dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="pca-harness" tests="\d+" failures="[1-9]\d*"/);
    expect(readFileSync(path.join(r.dir, 'index.html'), 'utf8')).toContain('drops-cancelled');
  }, 90_000);

  it('trailing-slash-upload: the upload registers nothing, and the Record Service checks say why', async () => {
    const r = await demo(['--fault', 'trailing-slash-upload', '--skip', 'replay,verify,load']);
    expect(r.code).toBe(1);
    expect(verdicts(r.summary)).toEqual({ upload: 'fail', check: 'fail' });
    const check = r.summary.suites.find((s) => s.key === 'check')!;
    expect(check.highlights!.every((h) => h.startsWith('RS-'))).toBe(true);
  }, 60_000);

  it('refuses an unknown fault or step with exit 2', async () => {
    expect((await runCli(['demo', '--fault', 'nope'])).code).toBe(2);
    expect((await runCli(['demo', '--skip', 'everything'])).code).toBe(2);
  });
});
