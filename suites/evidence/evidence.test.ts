import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG } from '../../core/config';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { runCli } from '../../test-support/cli';
import { createEvidenceBundle, EvidenceError } from './evidence';

function reportDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pca-reports-'));
  mkdirSync(path.join(dir, 'check'));
  writeFileSync(path.join(dir, 'index.html'), '<html>index</html>');
  writeFileSync(path.join(dir, 'check', 'junit.xml'), '<testsuites/>');
  return dir;
}

describe('evidence bundle', () => {
  it('archives reports, pack and redacted config with a manifest sha256sum verifies', async () => {
    const dir = reportDir();
    const out = path.join(dir, '..', `${path.basename(dir)}.tar.gz`);
    const config = { ...DEFAULT_CONFIG, supplier: { ...DEFAULT_CONFIG.supplier, clientSecret: 'very-secret-value' } };
    const pack = buildDefaultPack(new Date('2026-06-01T00:00:00Z'));
    const { manifest } = await createEvidenceBundle({
      reportDir: dir,
      out,
      config,
      pack,
      harnessVersion: '9.9.9',
      parameters: { seed: 7 },
    });
    expect(manifest.files.map((f) => f.path)).toEqual([
      'config.json',
      'pack.json',
      'reports/check/junit.xml',
      'reports/index.html',
    ]);
    expect(manifest).toMatchObject({
      harnessVersion: '9.9.9',
      parameters: { seed: 7 },
      pack: { patients: pack.patients.length },
    });
    expect(manifest.specVersions['producer-api-standards']).toBe('3.12.0');

    const unpack = mkdtempSync(path.join(os.tmpdir(), 'pca-unpack-'));
    execFileSync('tar', ['xzf', out, '-C', unpack]);
    const check = execFileSync('sha256sum', ['-c', 'MANIFEST.sha256'], {
      cwd: path.join(unpack, 'evidence'),
    }).toString();
    expect(check.trim().split('\n')).toHaveLength(4);
    expect(check).not.toMatch(/FAILED/);
    expect(readFileSync(path.join(unpack, 'evidence', 'config.json'), 'utf8')).not.toContain('very-secret-value');

    // Tampering is detected.
    writeFileSync(path.join(unpack, 'evidence', 'reports', 'index.html'), '<html>changed</html>');
    expect(() =>
      execFileSync('sha256sum', ['-c', '--quiet', 'MANIFEST.sha256'], {
        cwd: path.join(unpack, 'evidence'),
        stdio: 'pipe',
      }),
    ).toThrow();
  });

  it('refuses a missing or empty report directory with a clear message', async () => {
    const base = {
      out: path.join(os.tmpdir(), 'never.tar.gz'),
      config: DEFAULT_CONFIG,
      pack: buildDefaultPack(new Date()),
      harnessVersion: '1',
    };
    await expect(createEvidenceBundle({ ...base, reportDir: '/nonexistent/reports' })).rejects.toThrow(EvidenceError);
    await expect(
      createEvidenceBundle({ ...base, reportDir: mkdtempSync(path.join(os.tmpdir(), 'pca-empty-')) }),
    ).rejects.toThrow(/is empty/);
  });

  it('is a CLI command with exit codes', async () => {
    const dir = reportDir();
    const out = path.join(dir, 'evidence.tar.gz');
    const ok = await runCli(['evidence', '--report-dir', dir, '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('sha256sum -c MANIFEST.sha256');
    const bad = await runCli(['evidence', '--report-dir', path.join(dir, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not exist/);
  });
});
