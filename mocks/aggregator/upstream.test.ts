/**
 * Bearer tokens against the reference supplier's real token endpoint (client_secret_basic and
 * _post), cached until shortly before expiry on a fake clock; and the classification of one call.
 */
import express from 'express';
import { fixedClock } from '../../core/clock';
import type { SupplierEndpoint } from '../../core/config';
import type { SupplierAccess } from '../../core/access';
import { listen, type RunningServer } from '../../core/http';
import { validateProducerBundle } from '../../contracts/validate';
import { AccessTokens, tokenRouter } from '../supplier/oauth';
import { BearerTokenCache, callSupplier, resourceUrl, TokenFetchError } from './upstream';

const clock = fixedClock('2025-03-01T09:00:00Z');
const issued = new AccessTokens(clock, 300);
let supplier: RunningServer;
let tokenCalls = 0;
let lastAuthorization: string | undefined;

beforeAll(async () => {
  const app = express();
  app.use('/oauth2/token', (_req, _res, next) => {
    tokenCalls += 1;
    next();
  });
  app.use(tokenRouter({ clientId: 'pca-aggregator', clientSecret: 's3cret', tokens: issued }));
  app.get('/Appointment', (req, res) => {
    lastAuthorization = req.get('authorization');
    if (!issued.check(req.get('authorization')).valid) return res.status(401).json({ error: 'bad bearer' });
    res
      .type('application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }));
  });
  supplier = await listen(app);
});

afterAll(async () => {
  await supplier.close();
});

beforeEach(() => {
  tokenCalls = 0;
});

const cc = (over: Partial<Extract<SupplierAccess, { type: 'client_credentials' }>> = {}): SupplierAccess => ({
  type: 'client_credentials',
  tokenUrl: `${supplier.url}/oauth2/token`,
  clientId: 'pca-aggregator',
  clientSecret: 's3cret',
  ...over,
});

describe('BearerTokenCache', () => {
  it('fetches once, reuses the token until shortly before it expires, then fetches a new one', async () => {
    const cache = new BearerTokenCache(clock);
    const [a, b] = await Promise.all([cache.bearer(cc()), cache.bearer(cc())]);
    expect(a).toBe(b);
    expect(tokenCalls).toBe(1);
    clock.advance(200_000);
    expect(await cache.bearer(cc())).toBe(a);
    // 300 s lifetime less the 30 s margin.
    clock.advance(71_000);
    const c = await cache.bearer(cc());
    expect(c).not.toBe(a);
    expect(tokenCalls).toBe(2);
    expect(issued.check(`Bearer ${c}`).valid).toBe(true);
  });

  it('authenticates with client_secret_post when configured', async () => {
    const token = await new BearerTokenCache(clock).bearer(cc({ method: 'client_secret_post' }));
    expect(issued.check(`Bearer ${token}`).valid).toBe(true);
  });

  it('fails with a TokenFetchError naming the status when the secret is wrong', async () => {
    await expect(new BearerTokenCache(clock).bearer(cc({ clientSecret: 'wrong' }))).rejects.toThrow(TokenFetchError);
    await expect(new BearerTokenCache(clock).bearer(cc({ clientSecret: 'wrong' }))).rejects.toThrow(/answered 401/);
  });

  it('hands out a static token as is, without a request', async () => {
    expect(await new BearerTokenCache(clock).bearer({ type: 'static', token: 'abc' })).toBe('abc');
    expect(tokenCalls).toBe(0);
  });
});

describe('callSupplier', () => {
  const endpoint = (auth: SupplierAccess): SupplierEndpoint => ({ url: `${supplier.url}/`, auth });
  const req = (auth: SupplierAccess) => ({
    endpoint: endpoint(auth),
    resourceType: 'Appointment' as const,
    nhsNumber: '9990000018',
    idToken: 'id',
    correlationId: 'c',
  });

  it('builds the URL from the base, the default path and the encoded identifier', () => {
    expect(
      resourceUrl({ url: 'http://h:1/api/', auth: { type: 'static', token: 't' } }, 'DocumentReference', '9990000018'),
    ).toBe(
      'http://h:1/api/DocumentReference?patient%3Aidentifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990000018',
    );
  });

  it('is ok with a valid bearer, and forgets a bearer the supplier answers 401 to', async () => {
    expect(await callSupplier(req(cc()), new BearerTokenCache(clock), validateProducerBundle)).toMatchObject({
      kind: 'ok',
      status: 200,
    });
    // A cache whose clock says its token is fresh, facing a supplier for which it has expired.
    const stale = new BearerTokenCache(fixedClock('2020-01-01T00:00:00Z'));
    const held = await stale.bearer(cc());
    clock.advance(301_000);
    expect(await callSupplier(req(cc()), stale, validateProducerBundle)).toMatchObject({
      kind: 'http-error',
      status: 401,
    });
    expect(lastAuthorization).toBe(`Bearer ${held}`);
    expect(await callSupplier(req(cc()), stale, validateProducerBundle)).toMatchObject({ kind: 'ok' });
    expect(lastAuthorization).not.toBe(`Bearer ${held}`);
  });

  it('turns a token endpoint failure into an error outcome, never a throw', async () => {
    const r = await callSupplier(
      req(cc({ clientSecret: 'wrong' })),
      new BearerTokenCache(clock),
      validateProducerBundle,
    );
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.message).toMatch(/token request/);
  });
});
