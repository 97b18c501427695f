/**
 * The admin surface as an attacker sees it, against a real platform on a real port: cross-site
 * requests, foreign Host headers (DNS rebinding) and, once bound beyond loopback, no token.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN_FILE } from '../core/admin-token';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import { buildDefaultPack } from '../fixtures/default-pack';
import { createPlatform, type Platform } from './platform';

const pack = buildDefaultPack(new Date());
const API_KEY = 'admin-guard-key-0001';
const config: HarnessConfig = {
  ...DEFAULT_CONFIG,
  platform: { ...DEFAULT_CONFIG.platform, clients: [{ clientId: 'c1', apiKey: API_KEY, resourceType: 'Appointment' }] },
};

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw HTTP call, so the Host header can be anything (fetch will not send a foreign one). */
function call(port: number, method: string, p: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function register(port: number): Promise<void> {
  const r = await call(
    port,
    'POST',
    '/records',
    { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    JSON.stringify({ clientId: 'c1', nhsNumbers: ['9990000018'] }),
  );
  expect(r.status).toBe(200);
}

describe('on loopback', () => {
  let platform: Platform;
  let port: number;
  beforeAll(async () => {
    platform = createPlatform({ config, pack, stateDir: ':memory:' });
    port = (await platform.start(0, '127.0.0.1')).port;
    await register(port);
  });
  afterAll(() => platform.stop());

  it('refuses a cross-site text/plain POST to reset, and nothing is reset', async () => {
    const r = await call(
      port,
      'POST',
      '/_harness/records/reset',
      { origin: 'http://evil.example', 'content-type': 'text/plain' },
      'x',
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'cross-origin' });
    expect(platform.store.countDistinct('c1')).toBe(1);
  });

  it('refuses a text/plain POST even without an Origin (a simple request a browser may send)', async () => {
    const r = await call(port, 'POST', '/_harness/records/reset', { 'content-type': 'text/plain' }, 'x');
    expect(r.status).toBe(415);
    expect(platform.store.countDistinct('c1')).toBe(1);
  });

  it('refuses a browser request that says it is cross-site', async () => {
    const r = await call(port, 'GET', '/_harness/records/reconciliation?clientId=c1&full=1', {
      'sec-fetch-site': 'cross-site',
    });
    expect(r.status).toBe(403);
  });

  it.each([
    ['GET', '/_harness/records/reconciliation?clientId=c1&full=1'],
    ['GET', '/_harness/config'],
    ['POST', '/nhs-login/_harness/id-token'],
    ['PUT', '/_harness/clients/c1'],
  ])('refuses a foreign Host header on %s %s (DNS rebinding)', async (method, p) => {
    const body = method === 'GET' ? undefined : '{}';
    const r = await call(port, method, p, { host: 'evil.example', 'content-type': 'application/json' }, body);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'foreign-host' });
    expect(platform.clients.get('c1')?.apiKey).toBe(API_KEY);
  });

  it('answers its own origin and loopback names without a token', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const r = await call(port, 'GET', '/_harness/records/reconciliation?clientId=c1', {
        host,
        origin: `http://${host}`,
      });
      expect(r.status).toBe(200);
    }
  });

  it('leaves the supplier-facing endpoints alone: /records takes a foreign Host', async () => {
    const r = await call(
      port,
      'POST',
      '/records',
      { host: 'pca.example', authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      JSON.stringify({ clientId: 'c1', nhsNumbers: ['9990000026'] }),
    );
    expect(r.status).toBe(200);
  });
});

describe('bound beyond loopback', () => {
  let platform: Platform;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pca-admin-'));
    platform = createPlatform({ config, pack, stateDir: dir });
    port = (await platform.start(0, '0.0.0.0')).port;
  });
  afterAll(async () => {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates an admin token into the state dir, readable by its owner only', () => {
    const admin = platform.admin();
    expect(admin).toMatchObject({ bindHost: '0.0.0.0', tokenRequired: true, tokenCreated: true });
    expect(admin.tokenFile).toBe(path.join(dir, ADMIN_TOKEN_FILE));
    expect(statSync(admin.tokenFile!).mode & 0o777).toBe(0o600);
    expect(admin.token!.length).toBeGreaterThanOrEqual(40);
  });

  it('refuses admin calls without the token, or with a wrong one, and says where the token is', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: API_KEY }];
    for (const auth of attempts) {
      const r = await call(port, 'GET', '/_harness/config', auth);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.body).toContain(path.join(dir, ADMIN_TOKEN_FILE));
    }
    const mint = await call(
      port,
      'POST',
      '/nhs-login/_harness/id-token',
      { 'content-type': 'application/json' },
      JSON.stringify({ nhsNumber: '9990000018' }),
    );
    expect(mint.status).toBe(401);
  });

  it('accepts the token as a bearer; health stays open', async () => {
    const r = await call(port, 'GET', '/_harness/config', { authorization: `Bearer ${platform.admin().token}` });
    expect(r.status).toBe(200);
    expect(r.body).not.toContain(platform.admin().token!);
    expect((await call(port, 'GET', '/_harness/health')).status).toBe(200);
  });

  it('still refuses a foreign Host even with the token', async () => {
    const r = await call(port, 'GET', '/_harness/config', {
      host: 'evil.example',
      authorization: `Bearer ${platform.admin().token}`,
    });
    expect(r.status).toBe(403);
  });

  it('keeps the token across restarts and does not show it as new again', async () => {
    const token = platform.admin().token;
    await platform.stop();
    platform = createPlatform({ config, pack, stateDir: dir });
    port = (await platform.start(0, '0.0.0.0')).port;
    expect(platform.admin()).toMatchObject({ token, tokenCreated: false });
  });
});
