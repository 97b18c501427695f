import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { epochSeconds } from '../../core/clock';
import { generateSigningKey, type SigningKey } from '../../core/keys';
import { startTestPlatform, type TestPlatform } from '../record-service/test-support/setup';
import { OAUTH_ERROR_CODES, oauthError, type OAuthErrorCode } from './errors';
import {
  CLIENT_ASSERTION_TYPE,
  OAUTH_SIGNING_KEY,
  requestAccessToken,
  signClientAssertion,
  verifyAccessToken,
} from './tokens';

let t: TestPlatform;
let stranger: SigningKey;
beforeAll(async () => {
  t = await startTestPlatform({
    extraClients: [{ clientId: 'pep-nokeys', apiKey: 'key-no-jwks-00000004', resourceType: 'Task' }],
  });
  stranger = (await generateSigningKey()).key;
});
afterAll(() => t.close());

interface AssertionParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  drop?: string[];
  key?: SigningKey;
  secret?: Uint8Array;
}

async function assertion(p: AssertionParts = {}): Promise<string> {
  const now = epochSeconds(t.clock);
  const claims: Record<string, unknown> = {
    iss: 'pep-01',
    sub: 'pep-01',
    aud: t.tokenUrl,
    jti: randomUUID(),
    exp: now + 300,
    ...p.claims,
  };
  const header: Record<string, unknown> = { alg: 'RS512', typ: 'JWT', kid: t.clientKey.kid, ...p.header };
  for (const k of p.drop ?? []) {
    delete claims[k];
    delete header[k];
  }
  const jwt = new SignJWT(claims as JWTPayload).setProtectedHeader(header as { alg: string });
  return jwt.sign(p.secret ?? (p.key ?? t.clientKey).privateKey);
}

function form(fields: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, v);
  return p.toString();
}

async function tokenRequest(fields: Record<string, string | undefined>) {
  return request(t.server.server).post('/oauth2/token').type('form').send(form(fields));
}

async function withAssertion(parts: AssertionParts = {}, extra: Record<string, string | undefined> = {}) {
  return tokenRequest({
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await assertion(parts),
    ...extra,
  });
}

describe('POST /oauth2/token', () => {
  it('issues an access token like the API platform: expires_in "599", Bearer, issued_at in ms', async () => {
    const res = await withAssertion();
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token_type']);
    expect(res.body).toMatchObject({
      expires_in: '599',
      token_type: 'Bearer',
      issued_at: String(t.clock.now().getTime()),
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(res.body.access_token as string);
    expect(claims).toMatchObject({ client_id: 'pep-01', sub: 'pep-01', aud: t.tokenUrl, iss: t.tokenUrl });
    expect(claims.exp! - claims.iat!).toBe(599);
    const check = await verifyAccessToken(res.body.access_token as string, {
      keyRing: t.keyRing,
      tokenUrl: t.tokenUrl,
      clock: t.clock,
    });
    expect(check).toMatchObject({ ok: true, clientId: 'pep-01' });
    expect(decodeProtectedHeader(res.body.access_token as string)).toMatchObject({
      alg: 'RS512',
      kid: (await t.keyRing.get(OAUTH_SIGNING_KEY)).kid,
    });
  });

  it("honours the platform's token-lifetime override, capped at the default", async () => {
    const short = await withAssertion({}, { _access_token_expiry_ms: '100000' });
    expect(short.body.expires_in).toBe('100');
    const long = await withAssertion({}, { _access_token_expiry_ms: '1000000' });
    expect(long.body.expires_in).toBe('599');
  });

  it('requestAccessToken + signClientAssertion (the client side) get a working token', async () => {
    const tok = await requestAccessToken(t.tokenUrl, { clientId: 'pep-01', key: t.clientKey, clock: t.clock });
    expect(tok.token_type).toBe('Bearer');
    const assertionJwt = await signClientAssertion(t.clientKey, {
      clientId: 'pep-01',
      tokenUrl: t.tokenUrl,
      clock: t.clock,
    });
    expect(decodeJwt(assertionJwt)).toMatchObject({ iss: 'pep-01', sub: 'pep-01', aud: t.tokenUrl });
  });

  const now = () => epochSeconds(t.clock);
  const cases: Record<OAuthErrorCode, () => Promise<request.Response>> = {
    'grant-type-missing': async () => withAssertion({}, { grant_type: undefined }),
    'grant-type-invalid': async () => withAssertion({}, { grant_type: 'authorization_code' }),
    'assertion-type-invalid': async () => withAssertion({}, { client_assertion_type: 'jwt' }),
    'assertion-missing': async () =>
      tokenRequest({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE }),
    'assertion-malformed': async () =>
      tokenRequest({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: 'invalid',
      }),
    'kid-missing': async () => withAssertion({ drop: ['kid'] }),
    'typ-invalid': async () => withAssertion({ header: { typ: 'at+jwt' } }),
    'alg-invalid': async () => withAssertion({ header: { alg: 'RS256' } }),
    'iss-sub-mismatch': async () => withAssertion({ claims: { sub: 'someone-else' } }),
    'iss-sub-unknown': async () => withAssertion({ claims: { iss: 'pep-99', sub: 'pep-99' } }),
    'jti-missing': async () => withAssertion({ drop: ['jti'] }),
    'jti-invalid': async () => withAssertion({ claims: { jti: 1234567890 } }),
    'exp-missing': async () => withAssertion({ drop: ['exp'] }),
    'exp-not-integer': async () => withAssertion({ claims: { exp: String(now() + 300) } }),
    'exp-expired': async () => withAssertion({ claims: { exp: now() - 20 } }),
    'exp-too-far': async () => withAssertion({ claims: { exp: now() + 360 } }),
    'nbf-in-future': async () => withAssertion({ claims: { nbf: now() + 120 } }),
    'iat-in-future': async () => withAssertion({ claims: { iat: now() + 3600 } }),
    'aud-invalid': async () => withAssertion({ claims: { aud: 'https://int.api.service.nhs.uk/oauth2/token' } }),
    'no-public-key': async () => withAssertion({ claims: { iss: 'pep-nokeys', sub: 'pep-nokeys' } }),
    'kid-unknown': async () => withAssertion({ header: { kid: 'not-registered' } }),
    'signature-invalid': async () => withAssertion({ key: stranger }),
    'jti-reused': async () => {
      const jti = randomUUID();
      const first = await withAssertion({ claims: { jti } });
      expect(first.status).toBe(200);
      return withAssertion({ claims: { jti } });
    },
  };

  it('has a case for every error in the catalogue', () => {
    expect(Object.keys(cases).sort()).toEqual([...OAUTH_ERROR_CODES].sort());
  });

  it.each(Object.keys(cases) as OAuthErrorCode[])(
    "%s: the platform's status and body, and a hint naming the problem",
    async (code) => {
      const res = await cases[code]();
      const e = oauthError(code);
      expect(res.status).toBe(e.status);
      expect(res.body).toEqual({
        error: e.error,
        error_description: e.description,
        message_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(res.headers['x-pca-harness-warning']).toContain(e.hint.slice(0, 30));
    },
  );

  it('says which claim was wrong, e.g. "exp" and "aud"', () => {
    expect(oauthError('exp-too-far').description).toMatch(/'exp' claim/);
    expect(oauthError('aud-invalid').description).toMatch(/'aud' claim/);
    expect(oauthError('iss-sub-mismatch').description).toMatch(/'iss'\/'sub' claims/);
  });

  it('an HS512 assertion is refused for its algorithm', async () => {
    const res = await withAssertion({ header: { alg: 'HS512' }, secret: new Uint8Array(64).fill(7) });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe(oauthError('alg-invalid').description);
  });

  it('a JSON body is refused with a hint that the body must be form-encoded', async () => {
    const res = await request(t.server.server).post('/oauth2/token').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe('grant_type is missing');
    expect(res.headers['x-pca-harness-warning']).toMatch(
      /must be application\/x-www-form-urlencoded, got application\/json/,
    );
  });

  it('answers 405 to GET', async () => {
    const res = await request(t.server.server).get('/oauth2/token');
    expect(res.status).toBe(405);
  });

  it('a token issued here stops working on the Record Service once it expires', async () => {
    const tok = await requestAccessToken(t.tokenUrl, { clientId: 'pep-01', key: t.clientKey, clock: t.clock });
    const check = () =>
      verifyAccessToken(tok.access_token, { keyRing: t.keyRing, tokenUrl: t.tokenUrl, clock: t.clock });
    expect((await check()).ok).toBe(true);
    t.clock.advance(599_000);
    try {
      expect(await check()).toMatchObject({ ok: false, problem: 'expired', clientId: 'pep-01' });
    } finally {
      t.clock.set('2025-06-01T09:00:00.000Z');
    }
  });
});
