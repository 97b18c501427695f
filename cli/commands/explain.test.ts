import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { DEFAULT_CONFIG } from '../../core/config';
import { createPlatform } from '../../mocks/platform';
import { generateNhsNumbers } from '../../core/nhs-number';
import { runCli } from '../../test-support/cli';
import { startTestPlatform, type TestPlatform } from '../../mocks/record-service/test-support/setup';
import { reasonEntry } from '../../mocks/record-service/catalogue';
import { parseSince } from './explain';

const TEN = generateNhsNumbers(10, 11);
const env = { PCA_HARNESS_LOG_LEVEL: 'silent' };

describe('pca-harness explain', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ mode: 'int' });
  });
  afterAll(() => t.close());
  beforeEach(() => t.store.reset());

  it("explains the seed thread's silent 200: every reason, what happened and the fix, NHS numbers masked; exit 1", async () => {
    const res = await request(t.server.server)
      .post('/records/')
      .set('Authorization', 'Bearer 3f1c9a7e-never-issued-by-this-platform')
      .send({ clientId: '<client_id>', nhsNumbers: TEN });
    expect(res.status).toBe(200);
    const r = await runCli(['explain', '--url', t.url], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Record Service calls at ${t.url}: 1, oldest first`);
    expect(r.stdout).toMatch(/#1 {2}2025-06-01T09:00:00\.000Z {2}POST \/records\/ {2}clientId "<client_id>" {2}-> 200/);
    expect(r.stdout).toContain(
      'nothing registered of 10 NHS number(s): 3 problem(s): trailing-slash, unknown-api-key, client-id-placeholder',
    );
    for (const code of ['trailing-slash', 'unknown-api-key', 'client-id-placeholder'] as const) {
      expect(r.stdout).toContain(`PROBLEM ${code}:`);
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(reasonEntry(code).fix.replace(/\s+/g, ' '));
    }
    for (const n of TEN) expect(r.stdout).not.toContain(n);
    expect(r.stdout).toContain(
      '1 call(s): 0 registered everything sent, 0 partly, 1 nothing, 0 failed by injected faults.',
    );
  });

  it('filters by client and time, prints JSON with --json, and exits 0 when every call registered', async () => {
    await request(t.server.server)
      .post('/records')
      .set('Authorization', 'Bearer key-documents-0002')
      .send({ clientId: 'pep-docs', nhsNumbers: TEN });
    t.clock.advance(60_000);
    await request(t.server.server)
      .post('/records/')
      .set('Authorization', 'Bearer key-appointments-0001')
      .send({ clientId: 'pep-01', nhsNumbers: TEN });
    try {
      const docs = await runCli(['explain', '--url', t.url, '--client-id', 'pep-docs'], { env });
      expect(docs.code).toBe(0);
      expect(docs.stdout).toContain('registered 10 of 10 NHS number(s) (10 new)');
      expect(docs.stdout).not.toContain('/records/');
      const json = await runCli(['explain', '--url', t.url, '--since', '2025-06-01T09:00:30Z', '--json'], { env });
      expect(json.code).toBe(1);
      const parsed = JSON.parse(json.stdout) as { verdicts: Array<{ path: string; reasons: Array<{ code: string }> }> };
      expect(parsed.verdicts.map((v) => v.path)).toEqual(['/records/']);
      expect(parsed.verdicts[0]!.reasons.map((x) => x.code)).toEqual(['trailing-slash']);
      const none = await runCli(['explain', '--url', t.url, '--client-id', 'nobody'], { env });
      expect(none.code).toBe(0);
      expect(none.stdout).toContain('No /records calls recorded');
    } finally {
      t.clock.set('2025-06-01T09:00:00.000Z');
    }
  });

  it('exits 3 when the platform is unreachable and 2 on bad arguments', async () => {
    const down = await runCli(['explain', '--url', 'http://127.0.0.1:9'], { env });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach/);
    expect((await runCli(['explain', '--url', t.url, '--since', 'last tuesday'], { env })).code).toBe(2);
    expect((await runCli(['explain', '--url', 'ftp://x'], { env })).code).toBe(2);
    expect((await runCli(['explain', '--url', t.url, '--limit', '0'], { env })).code).toBe(2);
  });

  it('--since takes durations back from now', () => {
    const now = new Date('2025-06-01T10:00:00Z');
    expect(parseSince('15m', now).toISOString()).toBe('2025-06-01T09:45:00.000Z');
    expect(parseSince('2025-06-01T08:00:00Z', now).toISOString()).toBe('2025-06-01T08:00:00.000Z');
  });

  it('has help with examples', async () => {
    const r = await runCli(['explain', '--help'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pca-harness explain --url http://127.0.0.1:7070 --client-id pep-01 --since 15m');
  });
});

describe('pca-harness explain and reconcile against a platform bound beyond loopback', () => {
  it('send the admin token from the state dir, or --admin-token, and say what is wrong without it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-explain-admin-'));
    const platform = createPlatform({ config: DEFAULT_CONFIG, stateDir: path.join(dir, 'state') });
    try {
      const { port } = await platform.start(0, '0.0.0.0');
      const url = `http://127.0.0.1:${port}`;
      const stateEnv = { ...env, PCA_HARNESS_STATE_DIR: path.join(dir, 'state') };
      const viaFile = await runCli(['explain', '--url', url], { env: stateEnv, cwd: dir });
      expect(viaFile.stderr).toBe('');
      expect(viaFile.code).toBe(0);
      const rec = await runCli(['reconcile', '--url', url, '--client-id', 'x', '--expected', '0'], {
        env: stateEnv,
        cwd: dir,
      });
      expect(rec.code).toBe(0);
      const viaFlag = await runCli(['explain', '--url', url, '--admin-token', platform.admin().token!], {
        env,
        cwd: tmpdir(),
      });
      expect(viaFlag.code).toBe(0);
      const without = await runCli(['explain', '--url', url], { env, cwd: tmpdir() });
      expect(without.code).toBe(2);
      expect(without.stderr).toMatch(/answered 401: .*Authorization: Bearer <admin token>/);
    } finally {
      await platform.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
