/**
 * The tokens a check run presents, made against the real NHS login mock and read back with jose:
 * each kind is what its check needs it to be, and nothing else.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { PackPatient } from '../../fixtures/pack';
import { CredentialError, createCredentials, fetchAccessToken, OTHER_ISSUER } from './credentials';
import { startNhsLogin, type NhsLoginSession } from './nhs-login-session';

const on = new Date();
const pack = buildDefaultPack(on);
const [a, b] = pack.patients as [PackPatient, PackPatient];
let nhsLogin: NhsLoginSession;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  nhsLogin = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing: new KeyRing() });
  const doc = (await fetch(`${nhsLogin.url}/.well-known/jwks.json`).then((r) => r.json())) as Parameters<
    typeof createLocalJWKSet
  >[0];
  jwks = createLocalJWKSet(doc);
});
afterAll(() => nhsLogin.close());

const creds = () => createCredentials({ access: { kind: 'bearer', token: 'given' }, nhsLogin });

async function token(
  kind: Parameters<ReturnType<typeof creds>['idToken']>[0]['kind'],
  other?: PackPatient,
): Promise<string> {
  const t = await creds().idToken({ kind, patient: a, other });
  if (!('token' in t)) throw new Error(t.unavailable);
  return t.token;
}

describe('ID tokens', () => {
  it('valid: verifies against the JWKS, for the patient, P9', async () => {
    const { payload } = await jwtVerify(await token('valid'), jwks, { issuer: nhsLogin.issuer });
    expect(payload).toMatchObject({ nhs_number: a.nhsNumber, birthdate: a.birthDate, identity_proofing_level: 'P9' });
  });

  it('expired: verifies, but exp is in the past', async () => {
    const t = await token('expired');
    await expect(jwtVerify(t, jwks, { issuer: nhsLogin.issuer })).rejects.toThrow(/exp/);
    expect(decodeJwt(t).exp!).toBeLessThan(Date.now() / 1000);
  });

  it('below-p9: P5', async () => {
    expect(decodeJwt(await token('below-p9')).identity_proofing_level).toBe('P5');
  });

  it("other-patient: another NHS number with this patient's birth date", async () => {
    const { payload } = await jwtVerify(await token('other-patient', b), jwks, { issuer: nhsLogin.issuer });
    expect(payload).toMatchObject({ nhs_number: b.nhsNumber, birthdate: a.birthDate });
  });

  it('other-birthdate: this NHS number, another birth date', async () => {
    const { payload } = await jwtVerify(await token('other-birthdate'), jwks, { issuer: nhsLogin.issuer });
    expect(payload.nhs_number).toBe(a.nhsNumber);
    expect(payload.birthdate).not.toBe(a.birthDate);
  });

  it('forged: the real kid, a signature the JWKS does not verify', async () => {
    const t = await token('forged');
    const real = await token('valid');
    expect(decodeProtectedHeader(t).kid).toBe(decodeProtectedHeader(real).kid);
    await expect(jwtVerify(t, jwks, { issuer: nhsLogin.issuer })).rejects.toThrow(/signature/);
    expect(decodeJwt(t)).toMatchObject({ iss: nhsLogin.issuer, nhs_number: a.nhsNumber });
  });

  it('other-issuer: verifies against the JWKS but names another issuer', async () => {
    const { payload } = await jwtVerify(await token('other-issuer'), jwks);
    expect(payload.iss).toBe(OTHER_ISSUER);
  });

  it("other-issuer is unavailable, with the reason, without the mock's key", async () => {
    const c = createCredentials({ access: { kind: 'bearer', token: 'given' }, nhsLogin: { url: nhsLogin.url } });
    const t = await c.idToken({ kind: 'other-issuer', patient: a });
    expect(t).toEqual({
      unavailable: expect.stringMatching(/^an other-issuer token must be signed with the NHS login mock's own key/),
    });
  });

  it('a mock that refuses to mint is a credential (configuration) error', async () => {
    const c = createCredentials({
      access: { kind: 'bearer', token: 'given' },
      nhsLogin: { url: `${nhsLogin.url}/nowhere` },
    });
    await expect(c.idToken({ kind: 'valid', patient: a })).rejects.toBeInstanceOf(CredentialError);
  });
});

describe('access tokens', () => {
  it('uses client_secret_basic and reads access_token', async () => {
    let auth = '';
    let body = '';
    const s = await listen((req: IncomingMessage, res: ServerResponse) => {
      auth = req.headers.authorization ?? '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ access_token: 'issued', token_type: 'Bearer' }));
      });
    });
    try {
      expect(await fetchAccessToken(`${s.url}/oauth2/token`, 'pca client', 's3cret:x')).toBe('issued');
      expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()).toBe('pca+client:s3cret%3Ax');
      expect(body).toBe('grant_type=client_credentials');
    } finally {
      await s.close();
    }
  });

  it('a refusal says what to check', async () => {
    const s = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 401;
      res.setHeader('Content-Type', 'application/json');
      res.end('{"error":"invalid_client","error_description":"wrong secret"}');
    });
    try {
      await expect(fetchAccessToken(`${s.url}/oauth2/token`, 'id', 'secret')).rejects.toThrow(
        /HTTP 401: invalid_client: wrong secret\)\. Check --token-url, --client-id and --client-secret, or give --bearer\./,
      );
    } finally {
      await s.close();
    }
  });
});
