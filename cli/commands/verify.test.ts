/**
 * `pca-harness verify` in-process against the reference supplier: exit codes, the per-interaction
 * console report, junit.xml and verify.json.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../core/clock';
import { listen } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { FaultName } from '../../mocks/supplier/faults';
import {
  startSupplierStack,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  type SupplierStack,
} from '../../mocks/supplier/stack';
import { SUPPLIER_INTERACTIONS } from '../../contracts/pact/supplier-contract';
import { runCli } from '../../test-support/cli';
import express from 'express';

const pack = buildDefaultPack(systemClock.now());
let dir: string;

let conforming: SupplierStack;

beforeAll(async () => {
  conforming = await startSupplierStack({ pack });
});
afterAll(() => conforming.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-verify-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, PCA_HARNESS_LOG_LEVEL: 'silent' });

async function withStack<T>(fault: FaultName | undefined, body: (s: SupplierStack) => Promise<T>): Promise<T> {
  const s = await startSupplierStack({ pack, ...(fault ? { fault } : {}) });
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

const args = (s: SupplierStack, ...more: string[]) => [
  'verify',
  '--supplier',
  s.supplier.url,
  '--platform-url',
  s.nhsLogin.url,
  '--client-id',
  STACK_CLIENT_ID,
  '--client-secret',
  STACK_CLIENT_SECRET,
  '--report-dir',
  path.join(dir, 'out'),
  ...more,
];

describe('pca-harness verify', () => {
  it('exits 0 and names every interaction when the supplier honours the contract', async () => {
    const r = await runCli(args(conforming), { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    for (const i of SUPPLIER_INTERACTIONS) expect(r.stdout).toContain(`PASS  ${i.description}`);
    expect(r.stdout).toMatch(/VERIFIED: the supplier honours every interaction of the PCA -> PCA-Supplier contract/);
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'verify.json'), 'utf8')) as {
      summary: unknown;
      states: string;
      pact: { sha256: string };
    };
    expect(report.summary).toEqual({
      interactions: SUPPLIER_INTERACTIONS.length,
      passed: SUPPLIER_INTERACTIONS.length,
      failed: 0,
      verified: true,
    });
    expect(report.states).toBe('fixture pack "pca-harness default pack"');
    expect(report.pact.sha256).toMatch(/^[0-9a-f]{64}$/);
    const junit = readFileSync(path.join(dir, 'out', 'junit.xml'), 'utf8');
    expect(junit).toContain(`tests="${SUPPLIER_INTERACTIONS.length}" failures="0"`);
    expect(readFileSync(path.join(dir, 'out', 'verifier-output.txt'), 'utf8')).toContain(
      'Verifying a pact between PCA and PCA-Supplier',
    );
  });

  it('exits 1 and names the failing interactions under --fault wrong-content-type, with NHS numbers masked', async () => {
    const r = await withStack('wrong-content-type', (s) => runCli(args(s), { cwd: dir, env: env() }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL  a request for the appointments of a patient who has some  [given a patient with appointments]',
    );
    expect(r.stdout).toContain('header Content-Type');
    expect(r.stdout).toMatch(
      new RegExp(
        `FAILED: ${SUPPLIER_INTERACTIONS.length} of ${SUPPLIER_INTERACTIONS.length} interactions not honoured`,
      ),
    );
    const junit = readFileSync(path.join(dir, 'out', 'junit.xml'), 'utf8');
    expect(junit).toContain(`failures="${SUPPLIER_INTERACTIONS.length}"`);
    const everything = [
      r.stdout,
      r.stderr,
      junit,
      readFileSync(path.join(dir, 'out', 'verify.json'), 'utf8'),
      readFileSync(path.join(dir, 'out', 'verifier-output.txt'), 'utf8'),
    ].join('\n');
    for (const p of pack.patients) expect(everything).not.toContain(p.nhsNumber);
  });

  it('resolves provider states from --pack', async () => {
    const file = path.join(dir, 'pack.json');
    writeFileSync(file, JSON.stringify(pack));
    const r = await runCli(args(conforming, '--pack', file), { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'out', 'verify.json'), 'utf8')).states).toBe(
      `fixture pack "${pack.name}"`,
    );
  });

  it('exits 3 when the supplier is unreachable, before running the verifier', async () => {
    const gone = await listen(express());
    const url = gone.url;
    await gone.close();
    const r = await runCli(
      ['verify', '--supplier', url, '--platform-url', url, '--report-dir', path.join(dir, 'out')],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach ${url}`);
  });

  it('exits 3, naming the NHS login, when --platform-url does not answer', async () => {
    const gone = await listen(express());
    const url = gone.url;
    await gone.close();
    const r = await runCli(
      [
        'verify',
        '--supplier',
        conforming.supplier.url,
        '--platform-url',
        url,
        '--client-id',
        STACK_CLIENT_ID,
        '--client-secret',
        STACK_CLIENT_SECRET,
        '--report-dir',
        path.join(dir, 'out'),
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach ${url}/nhs-login/_harness/id-token`);
  });

  it('exits 2 when the supplier refuses the OAuth client credentials', async () => {
    const s = conforming;
    const r = await runCli(
      [
        'verify',
        '--supplier',
        s.supplier.url,
        '--platform-url',
        s.nhsLogin.url,
        '--client-id',
        STACK_CLIENT_ID,
        '--client-secret',
        'wrong-secret',
        '--report-dir',
        path.join(dir, 'out'),
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did not issue an access token \(HTTP 401/);
  });

  it.each([
    [[], '--supplier <url> is required'],
    [['--supplier', 'http://127.0.0.1:1', '--bearer', 't', '--client-id', 'x'], 'either --bearer or --token-url'],
    [
      ['--supplier', 'http://127.0.0.1:1', '--pack', 'p.json', '--provider-states-url', 'http://127.0.0.1:2'],
      'either --provider-states-url',
    ],
    [['--supplier', 'ftp://x'], '--supplier must be an http(s) URL'],
    [['--supplier', 'http://127.0.0.1:1', '--publish', '--provider-version', '1'], 'PACT_BROKER_BASE_URL'],
    [['--supplier', 'http://127.0.0.1:1', '--publish'], '--publish needs --provider-version'],
    [['--supplier', 'http://127.0.0.1:1', '--provider-version', '1'], 'go with --publish'],
    [
      ['--supplier', 'http://127.0.0.1:1', '--publish', '--pact', 'x.json', '--provider-version', '1'],
      'leave out --pact',
    ],
  ])('exits 2 on usage error %j', async (more, message) => {
    const r = await runCli(['verify', ...more, '--report-dir', path.join(dir, 'out')], { cwd: dir, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('exits 2 when --pact is not a pact file', async () => {
    const file = path.join(dir, 'not-a-pact.json');
    writeFileSync(file, '{"consumer": {"name": "x"}}');
    const r = await runCli(args(conforming, '--pact', file), { cwd: dir, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not-a-pact.json is not a pact');
  });
});
