import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { generateNhsNumbers } from '../../core/nhs-number';
import { runCli } from '../../test-support/cli';
import { startTestPlatform, type TestPlatform } from '../../mocks/record-service/test-support/setup';

const NUMS = generateNhsNumbers(30, 77);
const env = { PCA_HARNESS_LOG_LEVEL: 'silent' };

describe('pca-harness reconcile', () => {
  let t: TestPlatform;
  let dir: string;
  beforeAll(async () => {
    t = await startTestPlatform();
    dir = mkdtempSync(path.join(tmpdir(), 'pca-reconcile-'));
    const send = (nhsNumbers: string[]) =>
      request(t.server.server)
        .post('/records')
        .set('Authorization', 'Bearer key-appointments-0001')
        .send({ clientId: 'pep-01', nhsNumbers });
    expect((await send(NUMS.slice(0, 20))).status).toBe(200);
    t.clock.advance(3_600_000);
    expect((await send(NUMS.slice(10, 25))).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli(['reconcile', '--url', t.url, ...args], { env, cwd: dir });

  it('exit 0 when the counts agree, 1 when they do not, with what to do', async () => {
    const ok = await cli(['--client-id', 'pep-01', '--expected', '25']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/the Record Service holds +25/);
    expect(ok.stdout).toContain('MATCH: the counts agree.');
    const fewer = await cli(['--client-id', 'pep-01', '--expected', '30']);
    expect(fewer.code).toBe(1);
    expect(fewer.stdout).toContain('MISMATCH: 5 fewer registered than sent.');
    const more = await cli(['--client-id', 'pep-01', '--expected', '24']);
    expect(more.code).toBe(1);
    expect(more.stdout).toContain('MISMATCH: 1 more registered than the supplier counts.');
  });

  it('counts only what was registered up to --until', async () => {
    const r = await cli(['--client-id', 'pep-01', '--expected', '20', '--until', '2025-06-01T09:30:00Z', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      clientId: 'pep-01',
      expected: 20,
      actual: 20,
      matches: true,
      until: '2025-06-01T09:30:00.000Z',
    });
  });

  it('with --numbers names the missing ones (masked) and writes them for a replay', async () => {
    writeFileSync(path.join(dir, 'sent.txt'), `# what we sent\n${NUMS.join('\n')}\n`);
    const r = await cli(['--client-id', 'pep-01', '--numbers', 'sent.txt', '--write-missing', 'replay.txt']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('missing (sent, not registered): 5:');
    for (const n of NUMS) expect(r.stdout).not.toContain(n);
    expect(readFileSync(path.join(dir, 'replay.txt'), 'utf8').trim().split('\n').sort()).toEqual(NUMS.slice(25).sort());
    writeFileSync(path.join(dir, 'all.json'), JSON.stringify(NUMS.slice(0, 25)));
    expect((await cli(['--client-id', 'pep-01', '--numbers', 'all.json'])).code).toBe(0);
  });

  it('says so when the clientId is not a client of the platform', async () => {
    const r = await cli(['--client-id', 'pep-unknown', '--expected', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is not a registered client of this platform');
  });

  it('exits 2 on bad arguments and 3 when the platform is down', async () => {
    expect((await cli(['--client-id', 'pep-01'])).code).toBe(2);
    expect((await cli(['--client-id', 'pep-01', '--expected', 'ten'])).code).toBe(2);
    expect((await cli(['--client-id', 'pep-01', '--expected', '1', '--until', 'tomorrow'])).code).toBe(2);
    expect((await cli(['--client-id', 'pep-01', '--numbers', 'missing-file.txt'])).code).toBe(2);
    expect(
      (await runCli(['reconcile', '--url', 'http://127.0.0.1:9', '--client-id', 'pep-01', '--expected', '1'], { env }))
        .code,
    ).toBe(3);
  });
});
