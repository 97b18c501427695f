import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { KeyRing } from '../../core/keys';
import { listen, type RunningServer } from '../../core/http';
import { createNhsLoginApp, NHS_LOGIN_MOUNT } from './app';

describe('NHS login mock', () => {
  let server: RunningServer;
  let issuer: string;

  beforeAll(async () => {
    const keyRing = new KeyRing();
    const app = createNhsLoginApp({
      keyRing,
      issuer: () => issuer,
      patients: (n) => (n === '9990000018' ? { birthDate: '1975-05-05', familyName: 'PACKPATIENT' } : undefined),
    });
    server = await listen(app);
    issuer = `${server.url}${NHS_LOGIN_MOUNT}`;
  });
  afterAll(() => server.close());

  function mint(body: object) {
    return request(server.url).post('/nhs-login/_harness/id-token').send(body);
  }

  it('publishes discovery pointing at its JWKS', async () => {
    const res = await request(server.url).get('/nhs-login/.well-known/openid-configuration').expect(200);
    expect(res.body).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS512'],
    });
  });

  it('mints tokens that verify with jose against the JWKS fetched over HTTP', async () => {
    const res = await mint({ nhsNumber: '9990000018' }).expect(200);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(res.body.id_token as string, jwks, {
      issuer,
      algorithms: ['RS512'],
    });
    expect(protectedHeader.alg).toBe('RS512');
    expect(payload).toMatchObject({
      nhs_number: '9990000018',
      birthdate: '1975-05-05',
      family_name: 'PACKPATIENT',
      identity_proofing_level: 'P9',
    });
  });

  it('mints for any valid NHS number when a birth date is given, with the requested proofing level', async () => {
    const res = await mint({ nhsNumber: '9990000026', birthDate: '2015-01-01', proofingLevel: 'P5' }).expect(200);
    expect(res.body.claims).toMatchObject({ birthdate: '2015-01-01', identity_proofing_level: 'P5', vot: 'P5.Cp.Cd' });
  });

  it('refuses a tampered or expired token at verification', async () => {
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const good = (await mint({ nhsNumber: '9990000018' })).body.id_token as string;
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as object;
    const tampered = [
      h,
      Buffer.from(JSON.stringify({ ...claims, nhs_number: '9990000026' })).toString('base64url'),
      s,
    ].join('.');
    await expect(jwtVerify(tampered, jwks, { issuer })).rejects.toThrow(/signature/i);
    const expired = (await mint({ nhsNumber: '9990000018', expiresIn: -60 })).body.id_token as string;
    await expect(jwtVerify(expired, jwks, { issuer })).rejects.toThrow(/exp/);
  });

  it.each([
    [{ nhsNumber: '9000000018' }, 400, /check digit/],
    [{ nhsNumber: '12' }, 400, /10 digits/],
    [{ nhsNumber: '9990000026' }, 404, /not in the loaded fixture pack.*birthDate/],
    [{ nhsNumber: '9990000018', birthDate: '05/05/1975' }, 400, /YYYY-MM-DD/],
    [{ nhsNumber: '9990000018', birthDate: '2001-02-30' }, 400, /a date that exists/],
    [{ nhsNumber: '9990000018', birthDate: '2001-13-01' }, 400, /a date that exists/],
    [{ nhsNumber: '9990000018', proofingLevel: 'P7' }, 400, /P0, P5, P9/],
    [{ nhsNumber: '9990000018', expiresIn: 'soon' }, 400, /whole number/],
  ])('explains a bad mint request %p', async (body, status, message) => {
    const res = await mint(body).expect(status);
    expect(res.body.error_description).toMatch(message);
    expect(JSON.stringify(res.body)).not.toContain('9990000026');
  });

  it('answers malformed JSON with an OAuth-style 400', async () => {
    const res = await request(server.url)
      .post('/nhs-login/_harness/id-token')
      .set('Content-Type', 'application/json')
      .send('{"nhsNumber":')
      .expect(400);
    expect(res.body).toMatchObject({ error: 'invalid_request' });
    expect(res.body.error_description).toMatch(/not valid JSON/);
  });
});
