/**
 * Publishing to a Pact Broker: `pca-harness pact publish` and `pca-harness verify --publish`,
 * against a small in-process fake broker that records every request (no broker package needed).
 * The broker token must reach the broker and nothing else: not stdout, stderr or any report.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { systemClock } from '../../core/clock';
import { listen, type RunningServer } from '../../core/http';
import { RECORD_SERVICE_PACT_FILE, shippedPact, SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { SUPPLIER_INTERACTIONS } from '../../contracts/pact/supplier-contract';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { startSupplierStack, STACK_CLIENT_ID, STACK_CLIENT_SECRET } from '../../mocks/supplier/stack';
import { runCli } from '../../test-support/cli';
import { version } from '../../core/version';

const TOKEN = 'broker-secret-token-5f3a';

interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body: unknown;
}

interface FakeBroker {
  server: RunningServer;
  requests: Recorded[];
  pacts: Map<string, unknown>;
}

async function startFakeBroker(): Promise<FakeBroker> {
  const requests: Recorded[] = [];
  const pacts = new Map<string, unknown>();
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  let base = '';
  app.use((req, res, next) => {
    requests.push({
      method: req.method,
      path: decodeURIComponent(req.path),
      authorization: req.get('authorization'),
      body: req.body as unknown,
    });
    if (req.get('authorization') !== `Bearer ${TOKEN}`) return res.status(401).json({ error: 'unauthorised' });
    next();
  });
  app.put('/pacts/provider/:p/consumer/:c/version/:v', (req, res) => {
    pacts.set(`${req.params.c}->${req.params.p}`, req.body);
    res.status(201).json({});
  });
  app.put('/pacticipants/:name/branches/:branch/versions/:v', (_req, res) => {
    res.status(201).json({});
  });
  app.put('/pacticipants/:name/versions/:v/tags/:tag', (_req, res) => {
    res.status(201).json({});
  });
  app.get('/pacts/provider/:p/consumer/:c/latest', (req, res) => {
    const pact = pacts.get(`${req.params.c}->${req.params.p}`);
    if (!pact) return res.status(404).json({ error: 'no pact' });
    const self = `${base}/pacts/provider/${req.params.p}/consumer/${req.params.c}/pact-version/0a1b2c`;
    res.json({
      ...(pact as object),
      _links: { self: { href: self }, 'pb:publish-verification-results': { href: `${self}/verification-results` } },
    });
  });
  app.post('/pacts/provider/:p/consumer/:c/pact-version/:sha/verification-results', (req, res) => {
    res.status(201).json({ _links: { self: { href: `${base}${req.path}/1` } } });
  });
  const server = await listen(app);
  base = server.url;
  return { server, requests, pacts };
}

let broker: FakeBroker;
let dir: string;

beforeEach(async () => {
  broker = await startFakeBroker();
  dir = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-pact-cli-'));
});
afterEach(async () => {
  await broker.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  PCA_HARNESS_LOG_LEVEL: 'silent',
  PACT_BROKER_BASE_URL: broker.server.url,
  PACT_BROKER_TOKEN: TOKEN,
  ...extra,
});

function everythingWritten(...texts: string[]): string {
  const out = path.join(dir, 'out');
  let files: string[] = [];
  try {
    files = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
  } catch {
    files = [];
  }
  return [...texts, ...files].join('\n');
}

describe('pca-harness pact publish', () => {
  it('PUTs both shipped pacts as the harness version, with the token only in the Authorization header', async () => {
    const r = await runCli(['pact', 'publish'], { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    const puts = broker.requests.filter((q) => q.method === 'PUT');
    expect(puts.map((q) => q.path)).toEqual([
      `/pacts/provider/PCA-Supplier/consumer/PCA/version/${version()}`,
      `/pacts/provider/PCA-RecordService/consumer/PCA-Supplier/version/${version()}`,
    ]);
    expect(puts.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(puts[0]!.body).toEqual(JSON.parse(readFileSync(shippedPact(SUPPLIER_PACT_FILE), 'utf8')));
    expect(puts[1]!.body).toEqual(JSON.parse(readFileSync(shippedPact(RECORD_SERVICE_PACT_FILE), 'utf8')));
    expect(r.stdout).toContain(`published PCA -> PCA-Supplier as PCA ${version()}`);
    expect(everythingWritten(r.stdout, r.stderr)).not.toContain(TOKEN);
  });

  it('records the branch and tags of the consumer version', async () => {
    const r = await runCli(
      [
        'pact',
        'publish',
        '--pact',
        shippedPact(SUPPLIER_PACT_FILE),
        '--consumer-version',
        '1.2.3',
        '--branch',
        'main',
        '--tag',
        'int',
        '--tag',
        'prod',
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(0);
    expect(broker.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'PUT /pacts/provider/PCA-Supplier/consumer/PCA/version/1.2.3',
      'PUT /pacticipants/PCA/branches/main/versions/1.2.3',
      'PUT /pacticipants/PCA/versions/1.2.3/tags/int',
      'PUT /pacticipants/PCA/versions/1.2.3/tags/prod',
    ]);
  });

  it('exits 1 when the broker refuses, naming the variables to check but never the token', async () => {
    const r = await runCli(['pact', 'publish'], { cwd: dir, env: env({ PACT_BROKER_TOKEN: `${TOKEN}-wrong` }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('answered 401 (check PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD)');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it.each([
    [{ PACT_BROKER_BASE_URL: '' }, 'set PACT_BROKER_BASE_URL'],
    [{ PACT_BROKER_USERNAME: 'u', PACT_BROKER_PASSWORD: 'p' }, 'not both'],
    [{ PACT_BROKER_TOKEN: '', PACT_BROKER_USERNAME: 'u' }, 'go together'],
  ])('exits 2 when the broker is not configured (%j)', async (extra, message) => {
    const r = await runCli(['pact', 'publish'], { cwd: dir, env: env(extra) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(broker.requests).toEqual([]);
  });

  it('lists the shipped pacts and their interactions', async () => {
    const r = await runCli(['pact', 'list'], { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PCA -> PCA-Supplier');
    expect(r.stdout).toContain('PCA-Supplier -> PCA-RecordService');
    for (const i of SUPPLIER_INTERACTIONS) expect(r.stdout).toContain(i.description);
  });
});

describe('pca-harness verify --publish', () => {
  it('verifies the pact the broker holds and publishes the per-interaction results for the provider version', async () => {
    expect(
      (await runCli(['pact', 'publish', '--pact', shippedPact(SUPPLIER_PACT_FILE)], { cwd: dir, env: env() })).code,
    ).toBe(0);
    const stack = await startSupplierStack({ pack: buildDefaultPack(systemClock.now()) });
    let r;
    try {
      r = await runCli(
        [
          'verify',
          '--supplier',
          stack.supplier.url,
          '--platform-url',
          stack.nhsLogin.url,
          '--client-id',
          STACK_CLIENT_ID,
          '--client-secret',
          STACK_CLIENT_SECRET,
          '--publish',
          '--provider-version',
          'abc123',
          '--provider-branch',
          'main',
          '--build-url',
          'https://ci.example/build/7',
          '--report-dir',
          path.join(dir, 'out'),
        ],
        { cwd: dir, env: env() },
      );
    } finally {
      await stack.close();
    }
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verification results published to');
    const branch = broker.requests.find(
      (q) => q.method === 'PUT' && q.path === '/pacticipants/PCA-Supplier/branches/main/versions/abc123',
    );
    expect(branch).toBeDefined();
    const post = broker.requests.find((q) => q.method === 'POST')!;
    expect(post.path).toBe('/pacts/provider/PCA-Supplier/consumer/PCA/pact-version/0a1b2c/verification-results');
    const body = post.body as {
      success: boolean;
      providerApplicationVersion: string;
      buildUrl: string;
      testResults: Array<{ interactionDescription: string; success: boolean }>;
      verifiedBy: { implementation: string };
    };
    expect(body).toMatchObject({
      success: true,
      providerApplicationVersion: 'abc123',
      buildUrl: 'https://ci.example/build/7',
      verifiedBy: { implementation: 'pca-harness' },
    });
    expect(body.testResults.map((t) => t.interactionDescription).sort()).toEqual(
      SUPPLIER_INTERACTIONS.map((i) => i.description).sort(),
    );
    expect(body.testResults.every((t) => t.success)).toBe(true);
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'verify.json'), 'utf8')) as {
      publish: { published: boolean; providerVersion: string };
    };
    expect(report.publish).toMatchObject({ published: true, providerVersion: 'abc123', providerBranch: 'main' });
    expect(everythingWritten(r.stdout, r.stderr)).not.toContain(TOKEN);
  });

  it('exits 2, before verifying, when the broker holds no pact for the supplier yet', async () => {
    const r = await runCli(
      [
        'verify',
        '--supplier',
        'http://127.0.0.1:1',
        '--publish',
        '--provider-version',
        'abc123',
        '--report-dir',
        path.join(dir, 'out'),
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('publish it first with `pca-harness pact publish`');
  });
});
