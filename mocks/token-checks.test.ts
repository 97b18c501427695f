/**
 * Token checks with no gaps. A client assertion's jti, once used, stays used across a restart (the
 * platform keeps them in its state dir until they expire). Tokens from the future: `nbf` ahead of now and `iat` far ahead are refused by every verifier (the
 * OAuth mock's client assertions, /records access tokens, the consumer API and the reference
 * supplier's NHSD-ID-Token), all with the one tolerance `CLOCK_TOLERANCE_S`; a token just inside it passes.
 */
import { DEFAULT_CONSUMER_BEARER } from '../core/consumer-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { fixedClock, epochSeconds } from '../core/clock';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import { listen, type RunningServer } from '../core/http';
import { generateSigningKey, type SigningKey } from '../core/keys';
import { CLOCK_TOLERANCE_S, mintIdToken, signJwt } from '../core/tokens';
import { buildDefaultPack } from '../fixtures/default-pack';
import { isEligible } from '../fixtures/pack';
import { NHS_LOGIN_KEY } from './nhs-login/app';
import { CLIENT_ASSERTION_TYPE, OAUTH_SIGNING_KEY } from './oauth/tokens';
import { createPlatform, type Platform } from './platform';
import { createSupplierApp } from './supplier/app';

const NOW = new Date();
const clock = fixedClock(NOW);
const pack = buildDefaultPack(NOW);
const patient = pack.patients.find((p) => isEligible(p, NOW))!;
const API_KEY = 'time-claims-key-0001';
const AHEAD = CLOCK_TOLERANCE_S + 60;
const INSIDE = CLOCK_TOLERANCE_S - 5;

let clientKey: SigningKey;
let config: HarnessConfig;
let platform: Platform;
let server: RunningServer;
let supplier: RunningServer;
let tokenUrl: string;

beforeAll(async () => {
  const k = await generateSigningKey();
  clientKey = { ...k.key, kid: 'tc-1', publicJwk: { ...k.key.publicJwk, kid: 'tc-1' } };
  config = {
    ...DEFAULT_CONFIG,
    platform: {
      ...DEFAULT_CONFIG.platform,
      clients: [
        {
          clientId: 'c1',
          apiKey: API_KEY,
          resourceType: 'Appointment',
          jwks: { keys: [clientKey.publicJwk as unknown as Record<string, unknown>] },
        },
      ],
    },
  };
  platform = createPlatform({ config, pack, stateDir: ':memory:', clock });
  server = await platform.start(0);
  tokenUrl = platform.urls().tokenUrl;
  supplier = await listen(
    createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, clientId: 'pca', clientSecret: 's', clock }),
  );
});
afterAll(async () => {
  await supplier.close();
  await platform.stop();
});

const now = () => epochSeconds(clock);

async function assertionWith(claims: Record<string, number>): Promise<string> {
  return signJwt(clientKey, {
    claims: { iss: 'c1', sub: 'c1', aud: tokenUrl, jti: `${Math.random()}`, exp: now() + 120, ...claims },
  });
}

function tokenRequest(assertion: string) {
  return request(server.server).post('/oauth2/token').type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  });
}

async function idTokenWith(claims: Record<string, number>): Promise<string> {
  const key = await platform.keyRing.get(NHS_LOGIN_KEY);
  const { claims: base } = await mintIdToken(key, {
    issuer: platform.urls().issuer,
    nhsNumber: patient.nhsNumber,
    birthDate: patient.birthDate,
    clock,
  });
  return signJwt(key, { claims: { ...base, ...claims } });
}

async function accessTokenWith(claims: Record<string, number>): Promise<string> {
  return signJwt(await platform.keyRing.get(OAUTH_SIGNING_KEY), {
    claims: {
      iss: tokenUrl,
      sub: 'c1',
      aud: tokenUrl,
      client_id: 'c1',
      iat: now(),
      exp: now() + 599,
      jti: 'x',
      ...claims,
    },
  });
}

describe.each([
  ['nbf in the future', (): Record<string, number> => ({ nbf: now() + AHEAD }), /nbf/],
  ['iat far in the future', (): Record<string, number> => ({ iat: now() + 3600 }), /iat/],
])('%s', (_label, claims, claim) => {
  it('is refused by the OAuth mock', async () => {
    const res = await tokenRequest(await assertionWith(claims()));
    expect(res.status).toBe(400);
    expect(res.headers['x-pca-harness-warning']).toMatch(claim);
  });

  it('is refused by /records', async () => {
    const res = await request(server.server)
      .post('/records')
      .set('Authorization', `Bearer ${await accessTokenWith(claims())}`)
      .send({ clientId: 'c1', nhsNumbers: [patient.nhsNumber] });
    expect(res.status).toBe(401);
    expect(res.headers['x-pca-harness-warning']).toMatch(/token-expired/);
  });

  it('is refused by the consumer API', async () => {
    const res = await request(server.server)
      .get('/aggregator/events')
      .query({ 'patient:identifier': `https://fhir.nhs.uk/Id/nhs-number|${patient.nhsNumber}` })
      .set('Authorization', `Bearer ${DEFAULT_CONSUMER_BEARER}`)
      .set('NHSD-ID-Token', await idTokenWith(claims()));
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).toMatch(claim);
  });

  it('is refused by the reference supplier', async () => {
    const bearer = await request(supplier.server)
      .post('/oauth2/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: 'pca', client_secret: 's' });
    const res = await request(supplier.server)
      .get('/Appointment')
      .query({ 'patient:identifier': `https://fhir.nhs.uk/Id/nhs-number|${patient.nhsNumber}` })
      .set('Authorization', `Bearer ${bearer.body.access_token as string}`)
      .set('NHSD-ID-Token', await idTokenWith(claims()))
      .set('X-Correlation-ID', 'time-claims');
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).toMatch(claim);
  });
});

describe('inside the tolerance', () => {
  it('nbf and iat a little ahead pass everywhere', async () => {
    const ahead = { nbf: now() + INSIDE, iat: now() + INSIDE };
    const tok = await tokenRequest(await assertionWith(ahead));
    expect(tok.status).toBe(200);
    expect(decodeJwt(tok.body.access_token as string).client_id).toBe('c1');
    const rec = await request(server.server)
      .post('/records')
      .set('Authorization', `Bearer ${await accessTokenWith(ahead)}`)
      .send({ clientId: 'c1', nhsNumbers: [patient.nhsNumber] });
    expect(rec.status).toBe(200);
    const events = await request(server.server)
      .get('/aggregator/events')
      .query({ 'patient:identifier': `https://fhir.nhs.uk/Id/nhs-number|${patient.nhsNumber}` })
      .set('Authorization', `Bearer ${DEFAULT_CONSUMER_BEARER}`)
      .set('NHSD-ID-Token', await idTokenWith(ahead));
    expect(events.status).not.toBe(401);
  });
});

describe('a used client-assertion jti', () => {
  it('is refused again after the platform restarts on the same state dir, until it expires', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-jti-'));
    const local = fixedClock(NOW);
    let p = createPlatform({ config, pack, stateDir: dir, clock: local });
    try {
      let s = await p.start(0);
      // The token URL (the assertion's aud) is where the platform listens; keep the port across the restart.
      const port = s.port;
      const url = p.urls().tokenUrl;
      const assertion = await signJwt(clientKey, {
        claims: { iss: 'c1', sub: 'c1', aud: url, jti: 'once-only', exp: epochSeconds(local) + 120 },
      });
      const send = () =>
        request(s.server).post('/oauth2/token').type('form').send({
          grant_type: 'client_credentials',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        });
      expect((await send()).status).toBe(200);
      expect((await send()).headers['x-pca-harness-warning']).toMatch(/already used/);
      await p.stop();
      p = createPlatform({ config, pack, stateDir: dir, clock: local });
      s = await p.start(port);
      const again = await send();
      expect(again.status).toBe(400);
      expect(again.headers['x-pca-harness-warning']).toMatch(/jti "once-only" was already used/);
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
