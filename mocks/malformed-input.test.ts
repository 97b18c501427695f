/**
 * Malformed input over every endpoint of the platform and the reference supplier: the named cases
 * that once answered 5xx (a 1,001-parameter form, JSON nested 8,000 deep, a JWKS nested 6,000 deep),
 * then a seeded, generated corpus (fast-check) of methods, paths, queries, content types and bodies.
 * Nothing may answer 5xx and nothing already stored may be lost.
 */
import fc from 'fast-check';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import { listen, type RunningServer } from '../core/http';
import { generateNhsNumbers } from '../core/nhs-number';
import { buildDefaultPack } from '../fixtures/default-pack';
import { createPlatform, type Platform } from './platform';
import { createSupplierApp } from './supplier/app';

const API_KEY = 'malformed-input-key-0001';
const KEPT = generateNhsNumbers(20, 11);
const pack = buildDefaultPack(new Date());

const config: HarnessConfig = {
  ...DEFAULT_CONFIG,
  platform: {
    ...DEFAULT_CONFIG.platform,
    clients: [{ clientId: 'c1', apiKey: API_KEY, resourceType: 'Appointment' }],
  },
};

let platform: Platform;
let platformServer: RunningServer;
let supplier: RunningServer;

beforeAll(async () => {
  platform = createPlatform({ config, pack, stateDir: ':memory:' });
  platformServer = await platform.start(0);
  supplier = await listen(
    createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, clientId: 'pca', clientSecret: 'pca-secret' }),
  );
  const r = await fetch(`${platformServer.url}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'c1', nhsNumbers: KEPT }),
  });
  expect(r.status).toBe(200);
  expect((await fetch(`${platformServer.url}/_harness/clients/c1/contract-pass`, { method: 'POST' })).status).toBe(200);
});

afterAll(async () => {
  await supplier.close();
  await platform.stop();
});

const manyParams = Array.from({ length: 1001 }, (_, i) => `p${i}=x`).join('&');
const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

async function send(base: string, method: string, path: string, contentType: string | undefined, body?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: contentType ? { 'content-type': contentType } : {},
    ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, text };
}

describe('the cases that answered 5xx', () => {
  it('a form with 1,001 parameters to the platform /oauth2/token is 413 invalid_request', async () => {
    const r = await send(platformServer.url, 'POST', '/oauth2/token', 'application/x-www-form-urlencoded', manyParams);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toMatchObject({ error: 'invalid_request' });
    expect(r.text).toMatch(/too many parameters/);
  });

  it('a form with 1,001 parameters to the reference supplier /oauth2/token is 413 invalid_request', async () => {
    const r = await send(supplier.url, 'POST', '/oauth2/token', 'application/x-www-form-urlencoded', manyParams);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/too many parameters/);
  });

  it('JSON nested 8,000 deep to a contract pass is 400 too-deep, and the pass held is kept', async () => {
    const r = await send(
      platformServer.url,
      'POST',
      '/_harness/clients/c1/contract-pass',
      'application/json',
      `{"a":${deepArray(8000)}}`,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ error: 'too-deep' });
    expect(platform.passes.has('c1')).toBe(true);
  });

  it('a client JWKS nested 6,000 deep is 400, and no client is added', async () => {
    const r = await send(
      platformServer.url,
      'POST',
      '/_harness/clients',
      'application/json',
      `{"clientId":"c2","apiKey":"malformed-input-key-0002","resourceType":"Appointment","jwks":{"keys":[${deepObject(6000)}]}}`,
    );
    expect(r.status).toBe(400);
    expect(platform.clients.get('c2')).toBeUndefined();
  });

  it('JSON nested 8,000 deep to /records is a 400 verdict, not a crash', async () => {
    const res = await fetch(`${platformServer.url}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: `{"clientId":"c1","nhsNumbers":${deepArray(8000)}}`,
    });
    expect(res.status).toBe(400);
  });
});

describe('a generated malformed-input corpus', () => {
  const platformPaths = [
    '/records',
    '/records/',
    '/oauth2/token',
    '/aggregator/events',
    '/aggregator/events?patient:identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990000018',
    '/nhs-login/.well-known/openid-configuration',
    '/nhs-login/.well-known/jwks.json',
    '/nhs-login/_harness/id-token',
    '/_harness',
    '/_harness/health',
    '/_harness/config',
    '/_harness/clients',
    '/_harness/clients/fz',
    '/_harness/clients/fz/contract-pass',
    '/_harness/pulls',
    '/_harness/pulls/summary',
    '/_harness/records/diagnostics',
    '/_harness/records/diagnostics/1',
    '/_harness/records/reconciliation',
    '/_harness/records/catalogue',
    '/_harness/records/faults',
    '/_harness/records/faults/fz',
  ];
  const supplierPaths = ['/Appointment', '/DocumentReference', '/Task', '/oauth2/token', '/_harness/health'];
  const contentTypes = [
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/fhir+json',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=koi8-r',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/json; charset',
  ];
  const queryPart = fc.oneof(
    fc.constant(''),
    fc
      .array(
        fc.tuple(fc.constantFrom('clientId', 'since', 'limit', 'nhsNumber', 'full', 'include', 'x'), fc.string()),
        {
          maxLength: 4,
        },
      )
      .map((kv) => `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
  );
  const body = fc.oneof(
    fc.json(),
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify({ clientId: 'fz', nhsNumbers: v })),
    fc.jsonValue().map((v) => JSON.stringify({ clientId: 'fz', resourceType: 'Appointment', jwks: v, endpoint: v })),
    fc
      .array(fc.oneof(fc.string(), fc.integer(), fc.constant('9990000018')))
      .map((n) => JSON.stringify({ nhsNumber: n[0], birthDate: n[1], nhsNumbers: n })),
    fc.integer({ min: 50, max: 3000 }).map(deepArray),
    fc.integer({ min: 50, max: 3000 }).map(deepObject),
    fc.constant(manyParams),
    fc.string().map((s) => `grant_type=client_credentials&client_assertion=${encodeURIComponent(s)}`),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  const request = fc.record({
    target: fc.constantFrom('platform', 'supplier'),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    pathIndex: fc.nat(),
    query: queryPart,
    contentType: fc.constantFrom(...contentTypes),
    body,
  });

  it('never answers 5xx and loses nothing already stored', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const onPlatform = r.target === 'platform';
        const paths = onPlatform ? platformPaths : supplierPaths;
        const path = paths[r.pathIndex % paths.length]!;
        const full = path.includes('?') ? path : `${path}${r.query}`;
        const res = await send(onPlatform ? platformServer.url : supplier.url, r.method, full, r.contentType, r.body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          throw new Error(`${r.method} ${full} (${r.contentType}) answered ${res.status}: ${res.text.slice(0, 300)}`);
      }),
      { seed: 20261130, numRuns: 300 },
    );
    // The corpus reached more than one kind of answer, so it exercised the handlers, not just a 404.
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3);
    const kept = platform.store.registrationsOf('c1', { limit: 1000 }).map((x) => x.nhsNumber);
    expect(kept).toEqual(expect.arrayContaining(KEPT));
    expect(platform.clients.get('c1')?.apiKey).toBe(API_KEY);
    expect(platform.passes.has('c1')).toBe(true);
  });
});
