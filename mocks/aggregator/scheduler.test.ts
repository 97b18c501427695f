/**
 * The pull scheduler against a real HTTP supplier stub with its own token endpoint, real SQLite and
 * the real producer validator: pacing, fresh tokens and correlation ids per pull, bearer caching,
 * de-duplication, outcome recording, and stopping.
 */
import Database from 'better-sqlite3';
import express from 'express';
import { decodeJwt } from 'jose';
import type { ClientConfig } from '../../core/config';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { memoryLogger } from '../../core/logger';
import { generateNhsNumbers } from '../../core/nhs-number';
import { mintIdToken } from '../../core/tokens';
import { validateProducerBundle } from '../../contracts/validate';
import { PullStore } from './pull-store';
import { PullScheduler } from './scheduler';
import { BearerTokenCache } from './upstream';

interface Seen {
  at: number;
  correlationId?: string;
  idToken?: string;
  authorization?: string;
}

let server: RunningServer;
const seen: Seen[] = [];
let tokenRequests = 0;
/**
 * When each pull started: the scheduler asks for the patient's ID token synchronously as it starts a
 * pull, and this reads the same monotonic clock as its token bucket (performance.now).
 */
const starts: number[] = [];
let delayMs = 0;
let answer: 'ok' | 'invalid' | 'http-503' = 'ok';

beforeAll(async () => {
  const app = express();
  app.post('/oauth2/token', express.urlencoded({ extended: false }), (req, res) => {
    tokenRequests += 1;
    if (req.get('authorization') !== `Basic ${Buffer.from('pca:secret').toString('base64')}`)
      return res.status(401).json({ error: 'invalid_client' });
    res.json({ access_token: `tok-${tokenRequests}`, token_type: 'Bearer', expires_in: '599' });
  });
  app.get('/fhir/Appointment', async (req, res) => {
    seen.push({
      at: performance.now(),
      correlationId: req.get('x-correlation-id'),
      idToken: req.get('nhsd-id-token'),
      authorization: req.get('authorization'),
    });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (answer === 'http-503') return res.status(503).json({ error: 'maintenance' });
    const body =
      answer === 'ok'
        ? { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }
        : { resourceType: 'Bundle', type: 'collection' };
    res.type('application/fhir+json').send(JSON.stringify(body));
  });
  server = await listen(app);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  seen.length = 0;
  starts.length = 0;
  tokenRequests = 0;
  delayMs = 0;
  answer = 'ok';
});

function setup(opts: { rate?: number; client?: Partial<ClientConfig>; timeoutMs?: number; passed?: boolean } = {}) {
  const client: ClientConfig = {
    clientId: 'portal-01',
    resourceType: 'Appointment',
    endpoint: {
      url: server.url,
      path: '/fhir/Appointment',
      auth: {
        type: 'client_credentials',
        tokenUrl: `${server.url}/oauth2/token`,
        clientId: 'pca',
        clientSecret: 'secret',
      },
    },
    ...opts.client,
  };
  const store = new PullStore(new Database(':memory:'));
  const minted: string[] = [];
  const scheduler = new PullScheduler({
    directory: {
      client: (id) => (id === client.clientId ? client : undefined),
      contractPassed: () => opts.passed ?? false,
    },
    store,
    tokens: new BearerTokenCache(),
    idTokenFor: async (n) => {
      starts.push(performance.now());
      const t = `id-token-${n}-${minted.length}`;
      minted.push(t);
      return t;
    },
    validate: validateProducerBundle,
    rate: opts.rate ?? 500,
    timeoutMs: opts.timeoutMs,
  });
  return { scheduler, store, minted };
}

const numbers = generateNhsNumbers(30, 7);

it('pulls each patient with a fresh ID token and correlation id, one cached bearer, and stores every outcome', async () => {
  const { scheduler, minted } = setup();
  const r = scheduler.schedule('portal-01', numbers.slice(0, 10));
  expect(r).toEqual({ clientId: 'portal-01', queued: 10, alreadyQueued: 0 });
  await scheduler.idle();
  expect(seen).toHaveLength(10);
  expect(new Set(seen.map((s) => s.correlationId)).size).toBe(10);
  expect(seen.map((s) => s.idToken).sort()).toEqual([...minted].sort());
  expect(tokenRequests).toBe(1);
  expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(['Bearer tok-1']));
  const results = scheduler.results({ clientId: 'portal-01' });
  expect(results).toHaveLength(10);
  expect(results[0]).toMatchObject({
    outcome: 'ok',
    status: 200,
    resourceType: 'Appointment',
    schema: { valid: true, diagnostics: [] },
    body: { resourceType: 'Bundle', total: 0 },
  });
  expect(results[0]!.url).toBe(
    `${server.url}/fhir/Appointment?patient%3Aidentifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${results[0]!.nhsNumber}`)}`,
  );
  expect(scheduler.summary()).toMatchObject({ pending: 0, total: 10, done: 10, failed: 0 });
  await scheduler.stop();
});

it('never starts pulls faster than its rate', async () => {
  const rate = 40;
  const { scheduler } = setup({ rate });
  scheduler.schedule('portal-01', numbers.slice(0, 24));
  await scheduler.idle();
  expect(seen).toHaveLength(24);
  // Starts, not arrivals at the supplier (which the network and a busy machine can bunch up): the
  // bucket spends a token only when its clock shows one earned, so any 500 ms holds at most rate/2
  // starts, plus the one token of burst and one at the window's edge.
  expect(starts).toHaveLength(24);
  const times = [...starts].sort((a, b) => a - b);
  const busiest = Math.max(...times.map((t0) => times.filter((t) => t >= t0 && t < t0 + 500).length));
  expect(busiest).toBeLessThanOrEqual(rate / 2 + 2);
  await scheduler.stop();
});

it('merges a patient queued twice, and queues again one re-registered while its pull runs', async () => {
  delayMs = 100;
  const { scheduler } = setup({ rate: 2 });
  const [a, b] = numbers;
  expect(scheduler.schedule('portal-01', [a!, b!])).toMatchObject({ queued: 2, alreadyQueued: 0 });
  // a has started (the bucket holds one token); b is still queued.
  expect(scheduler.schedule('portal-01', [a!, b!])).toMatchObject({ queued: 1, alreadyQueued: 1 });
  expect(scheduler.summary()).toMatchObject({ queued: 2, inFlight: 1, pending: 3 });
  await scheduler.stop();
  expect(scheduler.pending).toBe(0);
  // stop() let the running pull finish and dropped the queue.
  expect(scheduler.results()).toHaveLength(1);
  expect(scheduler.schedule('portal-01', [a!]).queued).toBe(0);
});

it('records HTTP errors, invalid bodies and timeouts as failures with what came back', async () => {
  const { scheduler } = setup({ timeoutMs: 100 });
  answer = 'http-503';
  scheduler.schedule('portal-01', [numbers[0]!]);
  await scheduler.idle();
  answer = 'invalid';
  scheduler.schedule('portal-01', [numbers[1]!]);
  await scheduler.idle();
  answer = 'ok';
  delayMs = 400;
  scheduler.schedule('portal-01', [numbers[2]!]);
  await scheduler.idle();
  const [timedOut, invalid, http] = scheduler.results();
  expect(http).toMatchObject({ outcome: 'http-error', status: 503, body: { error: 'maintenance' } });
  expect(invalid).toMatchObject({ outcome: 'invalid', status: 200, schema: { valid: false } });
  expect(invalid!.schema!.diagnostics.length).toBeGreaterThan(0);
  expect(timedOut).toMatchObject({ outcome: 'timeout', message: 'no answer within 100 ms' });
  expect(timedOut!.status).toBeUndefined();
  expect(scheduler.summary()).toMatchObject({
    total: 3,
    done: 0,
    failed: 3,
    byOutcome: { 'http-error': 1, invalid: 1, timeout: 1 },
  });
  await scheduler.stop();
});

it('schedules nothing for a client without an endpoint or without a required contract pass', async () => {
  const noEndpoint = setup({ client: { endpoint: undefined } });
  const r1 = noEndpoint.scheduler.schedule('portal-01', numbers.slice(0, 3));
  expect(r1).toMatchObject({ queued: 0, notPullable: { reason: 'no-supplier-endpoint' } });
  const gated = setup({ client: { requireContractPass: true } });
  expect(gated.scheduler.schedule('portal-01', numbers.slice(0, 3)).notPullable?.reason).toBe(
    'contract-checks-not-passed',
  );
  expect(gated.scheduler.schedule('unknown', numbers.slice(0, 3)).notPullable?.reason).toBe('unknown-client');
  const passed = setup({ client: { requireContractPass: true }, passed: true });
  expect(passed.scheduler.schedule('portal-01', [numbers[0]!]).queued).toBe(1);
  await passed.scheduler.idle();
  expect(seen).toHaveLength(1);
  await Promise.all([noEndpoint, gated, passed].map((s) => s.scheduler.stop()));
});

it('mints the ID token with the patient in it: a failure to mint is recorded, not thrown', async () => {
  const store = new PullStore(new Database(':memory:'));
  const client: ClientConfig = {
    clientId: 'p',
    resourceType: 'Appointment',
    endpoint: { url: server.url, path: '/fhir/Appointment', auth: { type: 'static', token: 's' } },
  };
  const scheduler = new PullScheduler({
    directory: { client: () => client, contractPassed: () => true },
    store,
    tokens: new BearerTokenCache(),
    idTokenFor: async () => {
      throw new Error('no key');
    },
    validate: validateProducerBundle,
    rate: 100,
  });
  scheduler.schedule('p', [numbers[0]!]);
  await scheduler.idle();
  expect(scheduler.results()[0]).toMatchObject({ outcome: 'error', message: 'could not mint an ID token: no key' });
  expect(seen).toHaveLength(0);
  await scheduler.stop();
});

it("sends the ID token it minted, decodable as the patient's", async () => {
  const store = new PullStore(new Database(':memory:'));
  const ring = new KeyRing();
  const client: ClientConfig = {
    clientId: 'p',
    resourceType: 'Appointment',
    endpoint: { url: server.url, path: '/fhir/Appointment', auth: { type: 'static', token: 's' } },
  };
  const scheduler = new PullScheduler({
    directory: { client: () => client, contractPassed: () => true },
    store,
    tokens: new BearerTokenCache(),
    idTokenFor: async (n) =>
      (
        await mintIdToken(await ring.get('nhs-login'), {
          issuer: 'http://x/nhs-login',
          nhsNumber: n,
          birthDate: '1980-01-01',
        })
      ).token,
    validate: validateProducerBundle,
    rate: 100,
  });
  scheduler.schedule('p', [numbers[3]!]);
  await scheduler.idle();
  expect(decodeJwt(seen[0]!.idToken!)).toMatchObject({ nhs_number: numbers[3], birthdate: '1980-01-01' });
  expect(seen[0]!.authorization).toBe('Bearer s');
  await scheduler.stop();
});

it('logs pull failures with the NHS number masked and no tokens', async () => {
  const mem = memoryLogger('debug');
  const store = new PullStore(new Database(':memory:'));
  const client: ClientConfig = {
    clientId: 'p',
    resourceType: 'Appointment',
    endpoint: { url: server.url, path: '/fhir/Appointment', auth: { type: 'static', token: 'static-secret-token' } },
  };
  const scheduler = new PullScheduler({
    directory: { client: () => client, contractPassed: () => true },
    store,
    tokens: new BearerTokenCache(),
    idTokenFor: async () => 'eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ4In0.c2ln',
    validate: validateProducerBundle,
    rate: 100,
    logger: mem.logger,
  });
  answer = 'http-503';
  scheduler.schedule('p', [numbers[4]!]);
  await scheduler.idle();
  await scheduler.stop();
  const text = mem.lines().join('\n');
  expect(text).toContain('pull failed');
  expect(text).not.toContain(numbers[4]);
  expect(text).toContain(`${numbers[4]!.slice(0, 3)}******${numbers[4]!.slice(-1)}`);
  expect(text).not.toContain('static-secret-token');
  expect(text).not.toContain('eyJhbGciOiJSUzUxMiJ9');
});
