import express from 'express';
import { fixedClock } from '../../core/clock';
import type { Bundle, OperationOutcome, ProducerResourceType } from '../../core/fhir';
import { listen } from '../../core/http';
import { generateSigningKey } from '../../core/keys';
import { memoryLogger } from '../../core/logger';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import { mintIdToken } from '../../core/tokens';
import { validatePayload, validateProducerBundle } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { PackPatient } from '../../fixtures/pack';
import { NHS_LOGIN_KEY } from '../nhs-login/app';
import {
  startSupplierStack,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  type StackOptions,
  type SupplierStack,
} from './stack';

const on = new Date();
const pack = buildDefaultPack(on);
const scenario = (s: string): PackPatient => {
  const p = pack.patients.find((x) => x.scenario === s);
  if (!p) throw new Error(`default pack has no "${s}" patient`);
  return p;
};
const adult = scenario('booked outpatient, face to face');
const nothing = scenario('nothing to show');
const child = scenario('under 16');
const sensitive = scenario('sensitive record');
const NOT_IN_PACK = '9000000009';

interface Call {
  path?: string;
  method?: string;
  /** NHS number for patient:identifier; `identifier` overrides the whole raw value(s). */
  nhs?: string;
  identifier?: string | string[] | null;
  idToken?: string | null;
  authorization?: string | null;
  correlationId?: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(stack: SupplierStack, bearer: string, c: Call): Promise<Answer> {
  const url = new URL(`${stack.supplier.url}${c.path ?? '/Appointment'}`);
  const ids =
    c.identifier === undefined
      ? c.nhs
        ? [`${NHS_NUMBER_SYSTEM}|${c.nhs}`]
        : []
      : c.identifier === null
        ? []
        : [c.identifier].flat();
  for (const id of ids) url.searchParams.append('patient:identifier', id);
  const headers: Record<string, string> = {
    'X-Correlation-ID': c.correlationId ?? 'c93e2449-a2ef-4476-ad15-13491036be22',
  };
  const auth = c.authorization === undefined ? `Bearer ${bearer}` : c.authorization;
  if (auth !== null) headers.Authorization = auth;
  if (c.idToken) headers['NHSD-ID-Token'] = c.idToken;
  const res = await fetch(url, { method: c.method ?? 'GET', headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function expectOperationOutcome(
  a: Answer,
  status: number,
  code: string,
  diagnostics?: string | RegExp,
): OperationOutcome {
  expect(a.status).toBe(status);
  expect(a.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const v = validatePayload('operation-outcome', a.json);
  expect(v.diagnostics).toEqual([]);
  const oo = a.json as OperationOutcome;
  expect(oo.issue[0]).toMatchObject({ severity: 'error', code });
  if (diagnostics !== undefined)
    expect(oo.issue[0]!.diagnostics).toEqual(
      typeof diagnostics === 'string' ? diagnostics : expect.stringMatching(diagnostics),
    );
  return oo;
}

function expectBundle(a: Answer, type: ProducerResourceType): Bundle {
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const v = validateProducerBundle(type, a.json);
  expect(v.diagnostics).toEqual([]);
  const b = a.json as Bundle;
  expect(b.total).toBe(b.entry?.length ?? 0);
  return b;
}

function algNone(token: string): string {
  const [, payload] = token.split('.');
  return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
}

describe('reference supplier over HTTP with real tokens', () => {
  let stack: SupplierStack;
  let bearer: string;
  let adultToken: string;
  const logs = memoryLogger('info');

  beforeAll(async () => {
    stack = await startSupplierStack({ pack, logger: logs.logger });
    bearer = await stack.accessToken();
    adultToken = await stack.idToken({ nhsNumber: adult.nhsNumber });
  });
  afterAll(() => stack.close());

  it('answers a health check without credentials, for orchestrators', async () => {
    const res = await fetch(`${stack.supplier.url}/_harness/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      fault: null,
      endpoints: ['/Appointment', '/DocumentReference', '/Task'],
    });
  });

  describe('200 answers', () => {
    it.each([
      ['/Appointment', 'Appointment'],
      ['/DocumentReference', 'DocumentReference'],
      ['/Task', 'Task'],
    ] as const)("GET %s returns the pack's bundle for the patient", async (path, type) => {
      const a = await call(stack, bearer, {
        path,
        nhs: adult.nhsNumber,
        idToken: adultToken,
        correlationId: 'corr-200',
      });
      const b = expectBundle(a, type);
      expect(b).toEqual(adult.expected[type]);
      expect(b.total).toBeGreaterThan(0);
      expect(a.headers.get('x-correlation-id')).toBe('corr-200');
    });

    it.each([
      ['a pack patient with nothing in scope', () => nothing.nhsNumber, () => nothing.birthDate],
      ['a sensitive patient (records withheld)', () => sensitive.nhsNumber, () => sensitive.birthDate],
      ['a patient who is not in the pack', () => NOT_IN_PACK, () => '1970-01-01'],
    ])('no data: 200 with a searchset Bundle, total 0, for %s (WF-NFR-07)', async (_label, nhs, birthDate) => {
      const idToken = await stack.idToken({ nhsNumber: nhs(), birthDate: birthDate() });
      for (const [path, type] of [
        ['/Appointment', 'Appointment'],
        ['/DocumentReference', 'DocumentReference'],
        ['/Task', 'Task'],
      ] as const) {
        const b = expectBundle(await call(stack, bearer, { path, nhs: nhs(), idToken }), type);
        expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });
        expect(b.entry ?? []).toEqual([]);
      }
    });

    it('makes up a correlation id when the caller sent none, and echoes it', async () => {
      const res = await fetch(`${stack.supplier.url}/Appointment`, { headers: { Authorization: `Bearer ${bearer}` } });
      expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.status).toBe(400);
    });
  });

  describe("the standard's error table", () => {
    it.each<[string, () => Promise<Call>, number, string, string | RegExp]>([
      [
        '400 missing patient:identifier',
        async () => ({ identifier: null, idToken: adultToken }),
        400,
        'exception',
        '"patient:identifier" is required',
      ],
      [
        '400 patient:identifier without a value',
        async () => ({ identifier: NHS_NUMBER_SYSTEM, idToken: adultToken }),
        400,
        'exception',
        `"patient:identifier" with value "${NHS_NUMBER_SYSTEM}" fails to match the required pattern: /^https:\\/\\/fhir\\.nhs\\.uk\\/Id\\/nhs-number\\|[1-9][0-9]{9}$/`,
      ],
      [
        '400 patient:identifier with another system',
        async () => ({ identifier: `https://example.org/id|${adult.nhsNumber}`, idToken: adultToken }),
        400,
        'exception',
        /fails to match the required pattern/,
      ],
      [
        '400 NHS number with a leading 0',
        async () => ({ identifier: `${NHS_NUMBER_SYSTEM}|0123456789`, idToken: adultToken }),
        400,
        'exception',
        /fails to match the required pattern/,
      ],
      [
        '400 NHS number with a wrong check digit',
        async () => ({ nhs: '9000000018', idToken: adultToken }),
        400,
        'exception',
        /is not a valid NHS number: the Modulus 11 check digit is wrong/,
      ],
      [
        '400 patient:identifier given twice',
        async () => ({
          identifier: [`${NHS_NUMBER_SYSTEM}|${adult.nhsNumber}`, `${NHS_NUMBER_SYSTEM}|${adult.nhsNumber}`],
          idToken: adultToken,
        }),
        400,
        'exception',
        /exactly once/,
      ],
      [
        '401 no bearer token',
        async () => ({ nhs: adult.nhsNumber, idToken: adultToken, authorization: null }),
        401,
        'processing',
        /no Authorization header/,
      ],
      [
        '401 unknown bearer token',
        async () => ({ nhs: adult.nhsNumber, idToken: adultToken, authorization: 'Bearer not-a-token-we-issued' }),
        401,
        'processing',
        /not one this supplier issued/,
      ],
      [
        '401 Basic credentials instead of a bearer',
        async () => ({
          nhs: adult.nhsNumber,
          idToken: adultToken,
          authorization: `Basic ${Buffer.from(`${STACK_CLIENT_ID}:${STACK_CLIENT_SECRET}`).toString('base64')}`,
        }),
        401,
        'processing',
        /not "Bearer <access token>"/,
      ],
      [
        '401 no NHSD-ID-Token',
        async () => ({ nhs: adult.nhsNumber, idToken: null }),
        401,
        'processing',
        /NHSD-ID-Token header is required/,
      ],
      [
        '401 ID token that is not a JWT',
        async () => ({ nhs: adult.nhsNumber, idToken: 'not.a.jwt' }),
        401,
        'processing',
        /NHSD-ID-Token rejected/,
      ],
      [
        '401 ID token signed with another key (unknown kid)',
        async () => {
          const other = await generateSigningKey();
          const { token } = await mintIdToken(other.key, {
            issuer: stack.issuer,
            nhsNumber: adult.nhsNumber,
            birthDate: adult.birthDate,
          });
          return { nhs: adult.nhsNumber, idToken: token };
        },
        401,
        'processing',
        /no key in the issuer JWKS matches/,
      ],
      [
        '401 ID token forged with the real kid but another key',
        async () => {
          const other = await generateSigningKey();
          const real = await stack.keyRing.get(NHS_LOGIN_KEY);
          const { token } = await mintIdToken(
            { ...other.key, kid: real.kid },
            { issuer: stack.issuer, nhsNumber: adult.nhsNumber, birthDate: adult.birthDate },
          );
          return { nhs: adult.nhsNumber, idToken: token };
        },
        401,
        'processing',
        /signature does not verify/,
      ],
      [
        '401 tampered ID token (claims changed after signing)',
        async () => {
          const [h, p, s] = adultToken.split('.');
          const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
          const forged = [
            h,
            Buffer.from(
              JSON.stringify({ ...claims, nhs_number: nothing.nhsNumber, birthdate: nothing.birthDate }),
            ).toString('base64url'),
            s,
          ].join('.');
          return { nhs: nothing.nhsNumber, idToken: forged };
        },
        401,
        'processing',
        /signature does not verify/,
      ],
      [
        '401 expired ID token',
        async () => ({
          nhs: adult.nhsNumber,
          idToken: await stack.idToken({ nhsNumber: adult.nhsNumber, expiresIn: -120 }),
        }),
        401,
        'processing',
        /expired/,
      ],
      [
        '401 ID token from another issuer',
        async () => {
          const real = await stack.keyRing.get(NHS_LOGIN_KEY);
          const { token } = await mintIdToken(real, {
            issuer: 'https://auth.login.nhs.uk',
            nhsNumber: adult.nhsNumber,
            birthDate: adult.birthDate,
          });
          return { nhs: adult.nhsNumber, idToken: token };
        },
        401,
        'processing',
        /issuer/,
      ],
      [
        '401 alg: none ID token',
        async () => ({ nhs: adult.nhsNumber, idToken: algNone(adultToken) }),
        401,
        'processing',
        /algorithm/,
      ],
      [
        '401 P5 ID token',
        async () => ({
          nhs: adult.nhsNumber,
          idToken: await stack.idToken({ nhsNumber: adult.nhsNumber, proofingLevel: 'P5' }),
        }),
        401,
        'processing',
        /identity_proofing_level is "P5".*P9/,
      ],
      [
        '401 P0 ID token',
        async () => ({
          nhs: adult.nhsNumber,
          idToken: await stack.idToken({ nhsNumber: adult.nhsNumber, proofingLevel: 'P0' }),
        }),
        401,
        'processing',
        /"P0"/,
      ],
      [
        "401 NHS number in the request is not the token's",
        async () => ({ nhs: nothing.nhsNumber, idToken: adultToken }),
        401,
        'processing',
        `"patient:identifier" with value "${NHS_NUMBER_SYSTEM}|${nothing.nhsNumber}" fails to match the required NHS login token subject ${adult.nhsNumber}`,
      ],
      [
        "401 token birthdate differs from the pack's (demographic cross-check)",
        async () => ({
          nhs: adult.nhsNumber,
          idToken: await stack.idToken({ nhsNumber: adult.nhsNumber, birthDate: '1980-02-29' }),
        }),
        401,
        'processing',
        /birthdate does not match/,
      ],
      [
        '403 under 16 (pack patient)',
        async () => ({ nhs: child.nhsNumber, idToken: await stack.idToken({ nhsNumber: child.nhsNumber }) }),
        403,
        'forbidden',
        'UNDER_16_DENIED',
      ],
      [
        '403 under 16 (not in the pack)',
        async () => ({
          nhs: NOT_IN_PACK,
          idToken: await stack.idToken({ nhsNumber: NOT_IN_PACK, birthDate: `${on.getUTCFullYear() - 10}-06-01` }),
        }),
        403,
        'forbidden',
        'UNDER_16_DENIED',
      ],
      [
        '404 unknown path',
        async () => ({ path: '/Patient', nhs: adult.nhsNumber, idToken: adultToken }),
        404,
        'not-found',
        /no endpoint at GET \/Patient/,
      ],
      [
        '404 trailing slash is another path',
        async () => ({ path: '/Appointment/', nhs: adult.nhsNumber, idToken: adultToken }),
        404,
        'not-found',
        /no endpoint/,
      ],
      [
        '405 POST to a data endpoint',
        async () => ({ method: 'POST', nhs: adult.nhsNumber, idToken: adultToken }),
        405,
        'not-supported',
        /use GET/,
      ],
    ])('%s', async (_label, build, status, code, diagnostics) => {
      const c = await build();
      const a = await call(stack, bearer, { ...c, correlationId: 'corr-error' });
      expectOperationOutcome(a, status, code, diagnostics);
      expect(a.headers.get('x-correlation-id')).toBe('corr-error');
    });

    it('401 for a bad bearer carries the ACCESS_DENIED coding and a Bearer challenge', async () => {
      const a = await call(stack, bearer, { nhs: adult.nhsNumber, idToken: adultToken, authorization: 'Bearer nope' });
      const oo = expectOperationOutcome(a, 401, 'processing');
      expect(oo.issue[0]!.details?.coding?.[0]).toMatchObject({
        code: 'ACCESS_DENIED',
        display: 'Invalid access token',
      });
      expect(a.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('checks the bearer before anything about the patient', async () => {
      const a = await call(stack, bearer, { identifier: null, idToken: null, authorization: null });
      expectOperationOutcome(a, 401, 'processing', /Authorization/);
    });
  });

  describe('logs (WF-NFR-09)', () => {
    it('log every request with its correlation id and never an NHS number or a token', async () => {
      await call(stack, bearer, { nhs: adult.nhsNumber, idToken: adultToken, correlationId: 'corr-log' });
      await call(stack, bearer, { nhs: nothing.nhsNumber, idToken: adultToken, correlationId: 'corr-log' });
      const lines = logs.lines();
      const mine = lines.filter((l) => l.includes('corr-log'));
      expect(mine).toHaveLength(2);
      expect(mine.map((l) => JSON.parse(l) as { path: string; status: number })).toEqual([
        expect.objectContaining({ path: '/Appointment', status: 200 }),
        expect.objectContaining({ path: '/Appointment', status: 401 }),
      ]);
      const all = lines.join('\n');
      for (const p of pack.patients) expect(all).not.toContain(p.nhsNumber);
      expect(all).not.toContain(adultToken.slice(0, 40));
      expect(all).not.toContain(bearer);
    });
  });
});

describe('POST /oauth2/token (system authentication)', () => {
  let stack: SupplierStack;
  beforeAll(async () => {
    stack = await startSupplierStack({ pack });
  });
  afterAll(() => stack.close());

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  async function token(
    body: string,
    headers: Record<string, string> = {},
    contentType = 'application/x-www-form-urlencoded',
  ) {
    const res = await fetch(`${stack.supplier.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, 'X-Correlation-ID': 'corr-token', ...headers },
      body,
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  it.each([
    [
      'client_secret_basic',
      () => token('grant_type=client_credentials', { Authorization: basic(STACK_CLIENT_ID, STACK_CLIENT_SECRET) }),
    ],
    [
      'client_secret_post',
      () =>
        token(
          new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: STACK_CLIENT_ID,
            client_secret: STACK_CLIENT_SECRET,
          }).toString(),
        ),
    ],
  ])('issues a short-lived bearer with %s that the data endpoints accept', async (_m, get) => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300 });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-correlation-id')).toBe('corr-token');
    const idToken = await stack.idToken({ nhsNumber: adult.nhsNumber });
    expectBundle(await call(stack, r.json.access_token as string, { nhs: adult.nhsNumber, idToken }), 'Appointment');
  });

  it.each<[string, () => ReturnType<typeof token>, number, string, RegExp?]>([
    [
      'no client authentication',
      () => token('grant_type=client_credentials'),
      401,
      'invalid_client',
      /client authentication is required/,
    ],
    [
      'a wrong secret (basic)',
      () => token('grant_type=client_credentials', { Authorization: basic(STACK_CLIENT_ID, 'wrong-secret') }),
      401,
      'invalid_client',
      undefined,
    ],
    [
      'a wrong secret (post)',
      () => token(`grant_type=client_credentials&client_id=${STACK_CLIENT_ID}&client_secret=wrong`),
      401,
      'invalid_client',
      undefined,
    ],
    [
      'an unknown client id',
      () => token('grant_type=client_credentials', { Authorization: basic('someone-else', STACK_CLIENT_SECRET) }),
      401,
      'invalid_client',
      undefined,
    ],
    [
      'both methods at once',
      () =>
        token(`grant_type=client_credentials&client_id=${STACK_CLIENT_ID}&client_secret=${STACK_CLIENT_SECRET}`, {
          Authorization: basic(STACK_CLIENT_ID, STACK_CLIENT_SECRET),
        }),
      400,
      'invalid_request',
      /one client authentication method/,
    ],
    [
      'no grant_type',
      () => token('', { Authorization: basic(STACK_CLIENT_ID, STACK_CLIENT_SECRET) }),
      400,
      'invalid_request',
      /grant_type is missing/,
    ],
    [
      'another grant type',
      () => token('grant_type=password', { Authorization: basic(STACK_CLIENT_ID, STACK_CLIENT_SECRET) }),
      400,
      'unsupported_grant_type',
      undefined,
    ],
    [
      'a JSON body',
      () =>
        token(
          '{"grant_type":"client_credentials"}',
          { Authorization: basic(STACK_CLIENT_ID, STACK_CLIENT_SECRET) },
          'application/json',
        ),
      400,
      'invalid_request',
      /x-www-form-urlencoded/,
    ],
    [
      'a malformed Basic header',
      () => token('grant_type=client_credentials', { Authorization: 'Basic !!!' }),
      401,
      'invalid_client',
      /Basic base64/,
    ],
  ])('refuses %s', async (_label, get, status, error, description) => {
    const r = await get();
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(error);
    if (description) expect(r.json.error_description).toMatch(description);
    expect(r.json).not.toHaveProperty('access_token');
  });

  it('answers invalid_client with a Basic challenge', async () => {
    const r = await token('grant_type=client_credentials');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });
});

describe('bearer expiry', () => {
  it('refuses an access token once its lifetime has passed', async () => {
    const clock = fixedClock(new Date());
    const stack = await startSupplierStack({ pack, clock, accessTokenLifetimeS: 60 });
    try {
      const bearer = await stack.accessToken();
      const idToken = await stack.idToken({ nhsNumber: adult.nhsNumber });
      expectBundle(await call(stack, bearer, { nhs: adult.nhsNumber, idToken }), 'Appointment');
      clock.advance(61_000);
      expectOperationOutcome(
        await call(stack, bearer, { nhs: adult.nhsNumber, idToken }),
        401,
        'processing',
        /expired/,
      );
    } finally {
      await stack.close();
    }
  });
});

describe('limits', () => {
  async function withStack<T>(
    opts: Partial<StackOptions>,
    fn: (s: SupplierStack, bearer: string, idToken: string) => Promise<T>,
  ): Promise<T> {
    const stack = await startSupplierStack({ pack, ...opts });
    try {
      return await fn(stack, await stack.accessToken(), await stack.idToken({ nhsNumber: adult.nhsNumber }));
    } finally {
      await stack.close();
    }
  }

  it('429 with an OperationOutcome above the rate limit, in a sliding one-second window (WF-NFR-03)', async () => {
    const clock = fixedClock(new Date());
    await withStack({ clock, rateLimitTps: 5 }, async (stack, bearer, idToken) => {
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(stack, bearer, { nhs: adult.nhsNumber, idToken, correlationId: `burst-${i}` }),
        ),
      );
      expect(burst.filter((a) => a.status === 200)).toHaveLength(5);
      const limited = burst.filter((a) => a.status === 429);
      expect(limited).toHaveLength(7);
      for (const a of limited) {
        const oo = expectOperationOutcome(a, 429, 'exception', 'Too Many Requests');
        expect(oo.issue[0]!.details?.coding?.[0]?.code).toBe('TOO_MANY_REQUESTS');
        expect(a.headers.get('retry-after')).toBe('1');
        expect(a.headers.get('x-correlation-id')).toMatch(/^burst-\d+$/);
      }
      // Each API has its own window: the Task endpoint is not affected by the Appointment burst.
      expectBundle(await call(stack, bearer, { path: '/Task', nhs: adult.nhsNumber, idToken }), 'Task');
      clock.advance(1_000);
      expectBundle(await call(stack, bearer, { nhs: adult.nhsNumber, idToken }), 'Appointment');
    });
  });

  it('504 Gateway Timeout with an OperationOutcome when the work would pass the deadline (WF-NFR-02)', async () => {
    await withStack({ deadlineMs: 40, latencyMs: 400 }, async (stack, bearer, idToken) => {
      const a = await call(stack, bearer, { nhs: adult.nhsNumber, idToken, correlationId: 'corr-504' });
      expectOperationOutcome(a, 504, 'exception', 'Gateway Timeout');
      expect(a.headers.get('x-correlation-id')).toBe('corr-504');
    });
  });

  it('answers within the deadline normally when the added latency fits', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    await withStack({ deadlineMs: 2_000, latencyMs: 30, sleep }, async (stack, bearer, idToken) => {
      expectBundle(await call(stack, bearer, { nhs: adult.nhsNumber, idToken }), 'Appointment');
      // The fixed latency is asked for on every data request (no wall clock read).
      expect(slept).toEqual([30]);
    });
  });

  it('serves configurable paths and nothing at the default ones', async () => {
    await withStack(
      { paths: { appointments: '/fhir/R4/Appointment', tasks: '/questionnaires' } },
      async (stack, bearer, idToken) => {
        expectBundle(
          await call(stack, bearer, { path: '/fhir/R4/Appointment', nhs: adult.nhsNumber, idToken }),
          'Appointment',
        );
        expectBundle(await call(stack, bearer, { path: '/questionnaires', nhs: adult.nhsNumber, idToken }), 'Task');
        expectBundle(
          await call(stack, bearer, { path: '/DocumentReference', nhs: adult.nhsNumber, idToken }),
          'DocumentReference',
        );
        const a = await call(stack, bearer, { path: '/Appointment', nhs: adult.nhsNumber, idToken });
        expectOperationOutcome(a, 404, 'not-found', /\/fhir\/R4\/Appointment/);
      },
    );
  });

  it('refuses paths that collide', async () => {
    await expect(startSupplierStack({ pack, paths: { appointments: '/x', tasks: '/x' } })).rejects.toThrow(
      /used twice/,
    );
  });
});

describe('NHS login keys', () => {
  /** An issuer whose JWKS can be rotated, to see the supplier refetch on an unknown kid. */
  async function rotatingIssuer(port = 0) {
    const first = await generateSigningKey();
    const second = await generateSigningKey();
    let published = [first.key.publicJwk];
    let jwksFetches = 0;
    let issuer = '';
    const app = express();
    app.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
    });
    app.get('/.well-known/jwks.json', (_req, res) => {
      jwksFetches += 1;
      res.json({ keys: published });
    });
    const server = await listen(app, port);
    issuer = server.url;
    return {
      server,
      issuer: () => issuer,
      first: first.key,
      second: second.key,
      rotate: () => {
        published = [first.key.publicJwk, second.key.publicJwk];
      },
      fetches: () => jwksFetches,
    };
  }

  it('discovers the JWKS, caches it, and refetches it for a kid it has not seen', async () => {
    const idp = await rotatingIssuer();
    const { createSupplierApp } = await import('./app');
    const supplier = await listen(
      createSupplierApp({
        pack,
        nhsLoginIssuer: idp.issuer(),
        clientId: STACK_CLIENT_ID,
        clientSecret: STACK_CLIENT_SECRET,
      }),
    );
    try {
      const stackLike = { supplier } as SupplierStack;
      const tok = await fetch(`${supplier.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${STACK_CLIENT_ID}&client_secret=${STACK_CLIENT_SECRET}`,
      });
      const bearer = ((await tok.json()) as { access_token: string }).access_token;
      const mint = async (key: typeof idp.first) =>
        (await mintIdToken(key, { issuer: idp.issuer(), nhsNumber: adult.nhsNumber, birthDate: adult.birthDate }))
          .token;

      expectBundle(
        await call(stackLike, bearer, { nhs: adult.nhsNumber, idToken: await mint(idp.first) }),
        'Appointment',
      );
      expectBundle(
        await call(stackLike, bearer, { nhs: adult.nhsNumber, idToken: await mint(idp.first) }),
        'Appointment',
      );
      expect(idp.fetches()).toBe(1);

      idp.rotate();
      // jose refetches on an unknown kid at most once per cooldown (1 s); wait it out so the test is not racing it.
      await new Promise((r) => setTimeout(r, 1_100));
      expectBundle(
        await call(stackLike, bearer, { nhs: adult.nhsNumber, idToken: await mint(idp.second) }),
        'Appointment',
      );
      expect(idp.fetches()).toBe(2);
    } finally {
      await supplier.close();
      await idp.server.close();
    }
  });

  it('answers 503 with an OperationOutcome when NHS login cannot be reached, then recovers', async () => {
    const idp = await rotatingIssuer();
    const issuer = idp.issuer();
    await idp.server.close();
    const { createSupplierApp } = await import('./app');
    const supplier = await listen(
      createSupplierApp({ pack, nhsLoginIssuer: issuer, clientId: STACK_CLIENT_ID, clientSecret: STACK_CLIENT_SECRET }),
    );
    try {
      const tok = await fetch(`${supplier.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${STACK_CLIENT_ID}&client_secret=${STACK_CLIENT_SECRET}`,
      });
      const bearer = ((await tok.json()) as { access_token: string }).access_token;
      const { token } = await mintIdToken(idp.first, {
        issuer,
        nhsNumber: adult.nhsNumber,
        birthDate: adult.birthDate,
      });
      const a = await call({ supplier } as SupplierStack, bearer, { nhs: adult.nhsNumber, idToken: token });
      expectOperationOutcome(a, 503, 'transient', /NHS login keys are unavailable/);
      expect(a.headers.get('retry-after')).toBe('5');

      const back = await rotatingIssuer(idp.server.port);
      try {
        const again = await mintIdToken(back.first, { issuer, nhsNumber: adult.nhsNumber, birthDate: adult.birthDate });
        expectBundle(
          await call({ supplier } as SupplierStack, bearer, { nhs: adult.nhsNumber, idToken: again.token }),
          'Appointment',
        );
      } finally {
        await back.server.close();
      }
    } finally {
      await supplier.close();
    }
  });
});
