import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, decodeJwt, UnsecuredJWT } from 'jose';
import { fixedClock } from './clock';
import { KeyRing } from './keys';
import { ID_TOKEN_REQUIRED_CLAIMS, localKeySet, mintIdToken, TokenError, verifyJwt } from './tokens';

const ISS = 'http://127.0.0.1:7070/nhs-login';

describe('KeyRing', () => {
  it('persists keys in the state dir so JWKS stay stable across restarts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pca-keys-'));
    const first = await new KeyRing(dir).jwks('nhs-login');
    const second = await new KeyRing(dir).jwks('nhs-login');
    expect(second).toEqual(first);
    expect(first.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS512', use: 'sig' });
    expect(first.keys[0]).not.toHaveProperty('d');
    const file = path.join(dir, 'keys', 'nhs-login.jwk.json');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('d');
  });

  it('gives different keys for different names and shares one creation between concurrent callers', async () => {
    const ring = new KeyRing();
    const [a, b, c] = await Promise.all([ring.get('a'), ring.get('a'), ring.get('b')]);
    expect(a).toBe(b);
    expect(a.kid).not.toBe(c.kid);
    expect(() => ring.get('../escape')).toThrow(/key name/);
  });
});

describe('NHS login ID tokens', () => {
  const clock = fixedClock('2026-03-01T10:00:00Z');

  it('carries the claims NHS login issues, signed RS512 with a kid', async () => {
    const ring = new KeyRing();
    const key = await ring.get('nhs-login');
    const { token } = await mintIdToken(key, {
      issuer: ISS,
      nhsNumber: '9990000018',
      birthDate: '1980-01-02',
      familyName: 'SMITH',
      clock,
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS512', typ: 'JWT', kid: key.kid });
    const claims = decodeJwt(token);
    for (const c of [...ID_TOKEN_REQUIRED_CLAIMS, 'vtm', 'id_status', 'token_use', 'family_name', 'auth_time'])
      expect(claims).toHaveProperty(c);
    expect(claims).toMatchObject({
      iss: ISS,
      nhs_number: '9990000018',
      birthdate: '1980-01-02',
      identity_proofing_level: 'P9',
      vot: 'P9.Cp.Cd',
      token_use: 'id',
      aud: 'nhs-online',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    const verified = await verifyJwt(token, localKeySet(await ring.jwks('nhs-login')), {
      issuer: ISS,
      clock,
      requiredClaims: ID_TOKEN_REQUIRED_CLAIMS,
    });
    expect(verified.nhs_number).toBe('9990000018');
  });

  async function problemOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'verified';
    } catch (e) {
      expect(e).toBeInstanceOf(TokenError);
      return (e as TokenError).problem;
    }
  }

  it('refuses tampered, expired, foreign-issuer, foreign-key and unsigned tokens', async () => {
    const ring = new KeyRing();
    const key = await ring.get('nhs-login');
    const keys = localKeySet(await ring.jwks('nhs-login'));
    const good = (await mintIdToken(key, { issuer: ISS, nhsNumber: '9990000018', birthDate: '1980-01-02', clock }))
      .token;
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [
      h,
      Buffer.from(JSON.stringify({ ...payload, nhs_number: '9990000026' })).toString('base64url'),
      s,
    ].join('.');
    expect(await problemOf(verifyJwt(tampered, keys, { issuer: ISS, clock }))).toBe('signature');

    const expired = (
      await mintIdToken(key, { issuer: ISS, nhsNumber: '9990000018', birthDate: '1980-01-02', expiresIn: -120, clock })
    ).token;
    expect(await problemOf(verifyJwt(expired, keys, { issuer: ISS, clock }))).toBe('expired');

    const foreign = (
      await mintIdToken(key, {
        issuer: 'https://auth.login.nhs.uk',
        nhsNumber: '9990000018',
        birthDate: '1980-01-02',
        clock,
      })
    ).token;
    expect(await problemOf(verifyJwt(foreign, keys, { issuer: ISS, clock }))).toBe('issuer');

    const otherKey = await new KeyRing().get('nhs-login');
    const forged = (
      await mintIdToken(
        { ...otherKey, kid: key.kid },
        { issuer: ISS, nhsNumber: '9990000018', birthDate: '1980-01-02', clock },
      )
    ).token;
    expect(await problemOf(verifyJwt(forged, keys, { issuer: ISS, clock }))).toBe('signature');

    const none = new UnsecuredJWT({ ...payload }).encode();
    expect(await problemOf(verifyJwt(none, keys, { issuer: ISS, clock }))).not.toBe('verified');
  });
});
