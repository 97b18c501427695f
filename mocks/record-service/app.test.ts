import request from 'supertest';
import { KeyRing } from '../../core/keys';
import { memoryLogger } from '../../core/logger';
import { generateNhsNumbers } from '../../core/nhs-number';
import type { PackPatient } from '../../fixtures/pack';
import { issueAccessToken, requestAccessToken } from '../oauth/tokens';
import { REASON_CODES, type ReasonCode } from './catalogue';
import type { RegisteredEvent } from './store';
import { API_KEY, DOCS_API_KEY, startTestPlatform, type StartOptions, type TestPlatform } from './test-support/setup';
import type { RecordsCallVerdict } from './verdict';

const TEN = generateNhsNumbers(10, 11);
const NOT_SYNTHETIC = '4010232137';
const BAD_CHECK_DIGIT = '9990000010';
const [UNDER_16, SENSITIVE, EXCLUDED] = generateNhsNumbers(3, 99);

function patient(nhsNumber: string, birthDate: string, flags: PackPatient['flags'] = {}): PackPatient {
  return { nhsNumber, birthDate, name: { given: ['Test'], family: 'PATIENT' }, flags, expected: {} };
}
const PACK = new Map<string, PackPatient>([
  [UNDER_16!, patient(UNDER_16!, '2015-01-01')],
  [SENSITIVE!, patient(SENSITIVE!, '1980-01-01', { sensitive: true })],
  [EXCLUDED!, patient(EXCLUDED!, '1980-01-01', { excludedByTrust: true })],
]);

interface Call {
  path?: string;
  auth?: string | null;
  body?: unknown;
  raw?: string;
  contentType?: string;
}

async function post(t: TestPlatform, c: Call) {
  let req = request(t.server.server).post(c.path ?? '/records');
  if (c.auth !== null) req = req.set('Authorization', c.auth ?? `Bearer ${API_KEY}`);
  if (c.raw !== undefined) return req.set('Content-Type', c.contentType ?? 'application/json').send(c.raw);
  if (c.contentType)
    return req
      .set('Content-Type', c.contentType)
      .send(JSON.stringify(c.body ?? { clientId: 'pep-01', nhsNumbers: TEN }));
  return req.send((c.body ?? { clientId: 'pep-01', nhsNumbers: TEN }) as object);
}

async function lastVerdict(t: TestPlatform): Promise<RecordsCallVerdict> {
  const res = await request(t.server.server).get('/_harness/records/diagnostics?limit=1');
  expect(res.status).toBe(200);
  return (res.body as { verdicts: RecordsCallVerdict[] }).verdicts[0]!;
}

function codes(v: RecordsCallVerdict): ReasonCode[] {
  return v.reasons.map((r) => r.code);
}

describe('POST /records, strict mode (int profile)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({
      packLookup: (n) => PACK.get(n),
      extraClients: [
        {
          clientId: 'pep-tasks',
          apiKey: 'key-tasks-00000003',
          resourceType: 'Task',
          requireContractPass: true,
          endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'static', token: 'x-static-token' } },
        },
      ],
    });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.store.reset();
    t.clock.set('2025-06-01T09:00:00.000Z');
  });

  it('registers a valid batch and answers exactly {"result":"success"}', async () => {
    const res = await post(t, { body: { clientId: 'pep-docs', nhsNumbers: TEN }, auth: `Bearer ${DOCS_API_KEY}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'success' });
    expect(res.headers['x-pca-harness-warning']).toBeUndefined();
    expect(t.store.countDistinct('pep-docs')).toBe(10);
    const v = await lastVerdict(t);
    expect(v).toMatchObject({
      outcome: 'registered',
      received: 10,
      registered: 10,
      newlyRegistered: 10,
      ignored: 0,
      status: 200,
      clientId: 'pep-docs',
      resourceType: 'DocumentReference',
      credential: { kind: 'api-key', clientId: 'pep-docs' },
    });
    expect(v.reasons).toEqual([]);
    expect(res.headers['x-pca-harness-verdict']).toBe(String(v.id));
  });

  it('the seed thread: POST /records/ with a never-issued bearer and clientId "<client_id>" names every reason and registers nothing', async () => {
    const res = await post(t, {
      path: '/records/',
      auth: 'Bearer 3f1c9a7e-never-issued-by-this-platform',
      body: { clientId: '<client_id>', nhsNumbers: TEN },
    });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('error.not-found');
    const reasons = res.body.harness.reasons as Array<{ code: string; fix: string }>;
    expect(reasons.map((r) => r.code)).toEqual(['trailing-slash', 'unknown-api-key', 'client-id-placeholder']);
    for (const r of reasons) expect(r.fix.length).toBeGreaterThan(20);
    expect(res.body.data).toContain('POST /records/');
    expect(res.body.data).toContain('clientId mismatch');
    const warning = res.headers['x-pca-harness-warning'] as string;
    for (const c of ['trailing-slash', 'unknown-api-key', 'client-id-placeholder']) expect(warning).toContain(`[${c}]`);
    expect(t.store.clientCounts()).toEqual([]);
    const v = await lastVerdict(t);
    expect(v).toMatchObject({
      outcome: 'nothing-registered',
      received: 10,
      registered: 0,
      ignored: 10,
      path: '/records/',
      clientId: '<client_id>',
      credential: { kind: 'unrecognised' },
    });
  });

  it('is idempotent: the same batch twice is two 200s, one registration each, counts kept', async () => {
    const events: RegisteredEvent[] = [];
    const off = t.store.onRegistered((e) => events.push(e));
    const first = await post(t, {});
    t.clock.advance(60_000);
    const second = await post(t, {});
    off();
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(t.store.countDistinct('pep-01')).toBe(10);
    const reg = t.store.get('pep-01', TEN[0]!)!;
    expect(reg).toEqual({
      clientId: 'pep-01',
      nhsNumber: TEN[0],
      firstSeen: '2025-06-01T09:00:00.000Z',
      lastSeen: '2025-06-01T09:01:00.000Z',
      count: 2,
    });
    expect(await lastVerdict(t)).toMatchObject({ registered: 10, newlyRegistered: 0, alreadyRegistered: 10 });
    expect(events.map((e) => [e.clientId, e.nhsNumbers.length, e.newNhsNumbers.length])).toEqual([
      ['pep-01', 10, 10],
      ['pep-01', 10, 0],
    ]);
  });

  it("answers the spec's own error example word for word, one message per failing index", async () => {
    const res = await post(t, {
      body: { clientId: 'pep-01', nhsNumbers: ['9000000009', 'abc', '0123456789', '012345678a', '0123456789'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('error.bad-request');
    const p = '/^[1-9][0-9]{9}$/';
    expect(res.body.data).toBe(
      `"nhsNumbers[1]" with value "abc" fails to match the required pattern: ${p}. "nhsNumbers[2]" with value "0123456789" fails to match the required pattern: ${p}. ` +
        `"nhsNumbers[3]" with value "012345678a" fails to match the required pattern: ${p}. "nhsNumbers[4]" with value "0123456789" fails to match the required pattern: ${p}`,
    );
    const v = await lastVerdict(t);
    const pattern = v.reasons.find((r) => r.code === 'nhs-number-pattern')!;
    expect(pattern).toMatchObject({ count: 4, indexes: [1, 2, 3, 4] });
    expect(pattern.detail).toContain('starts with 0');
    expect(pattern.detail).toContain('contains characters other than digits');
    expect(t.store.clientCounts()).toEqual([]);
  });

  it('reports a number sent as a JSON number as "must be a string"', async () => {
    const res = await post(t, { body: { clientId: 'pep-01', nhsNumbers: [Number(TEN[0])] } });
    expect(res.status).toBe(400);
    expect(res.body.data).toBe('"nhsNumbers[0]" must be a string');
    expect((await lastVerdict(t)).reasons[0]!.detail).toContain('a JSON number, not a string: quote it');
  });

  it.each([
    ['malformed JSON', { raw: '{"clientId": "pep-01", "nhsNumbers": [' }, 400, 'malformed-json'],
    ['an empty body', { raw: '' }, 400, 'malformed-json'],
    ['text/plain', { contentType: 'text/plain' }, 415, 'wrong-content-type'],
    [
      'form encoding',
      { raw: 'clientId=pep-01&nhsNumbers=9990000018', contentType: 'application/x-www-form-urlencoded' },
      415,
      'wrong-content-type',
    ],
    ['an array body', { body: [TEN[0]] }, 400, 'invalid-request-body'],
    ['a missing nhsNumbers', { body: { clientId: 'pep-01', nhsnumbers: TEN } }, 400, 'invalid-request-body'],
    ['an empty nhsNumbers', { body: { clientId: 'pep-01', nhsNumbers: [] } }, 400, 'invalid-request-body'],
  ] as Array<[string, Call, number, ReasonCode]>)(
    'refuses %s with a clear 4xx, never a crash',
    async (_name, call, status, code) => {
      const res = await post(t, call);
      expect(res.status).toBe(status);
      expect(typeof res.body.data).toBe('string');
      expect(res.body.data.length).toBeGreaterThan(5);
      expect(codes(await lastVerdict(t))).toContain(code);
      expect(t.store.clientCounts()).toEqual([]);
    },
  );

  it('names the near-miss property when nhsNumbers is misspelt', async () => {
    const res = await post(t, { body: { clientId: 'pep-01', nhsnumbers: TEN } });
    expect(res.body.data).toBe(
      '"nhsNumbers" is required (the body has "nhsnumbers": property names are case-sensitive)',
    );
  });

  it('refuses an oversized body with 413 and still records the verdict', async () => {
    const huge = JSON.stringify({ clientId: 'pep-01', nhsNumbers: TEN, padding: 'x'.repeat(1_100_000) });
    const res = await post(t, { raw: huge });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('error.payload-too-large');
    expect(res.body.data).toMatch(/limit is 1048576 bytes/);
    expect(codes(await lastVerdict(t))).toEqual(['body-too-large']);
  });

  it('answers 405 to other methods on /records', async () => {
    const res = await request(t.server.server).get('/records');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('keeps NHS numbers and credentials out of diagnostics and logs', async () => {
    const { logger, lines } = memoryLogger('trace');
    const t2 = await startTestPlatform({ logger });
    try {
      await post(t2, {});
      await post(t2, { path: '/records/', body: { clientId: 'pep-01', nhsNumbers: [...TEN, BAD_CHECK_DIGIT, 'abc'] } });
      await post(t2, { raw: `{"clientId":"pep-01","nhsNumbers":["${TEN[0]}",]}` });
      const diag = JSON.stringify((await request(t2.server.server).get('/_harness/records/diagnostics')).body);
      const logged = lines().join('\n');
      expect(logged).toContain('records call');
      for (const n of [...TEN, BAD_CHECK_DIGIT]) {
        expect(diag).not.toContain(n);
        expect(logged).not.toContain(n);
      }
      expect(diag).not.toContain(API_KEY);
      expect(logged).not.toContain(API_KEY);
      expect(diag).toContain('999******');
    } finally {
      await t2.close();
    }
  });
});

describe('every diagnostic reason', () => {
  let t: TestPlatform;
  let prod: TestPlatform;
  const contract = new Set<string>();
  beforeAll(async () => {
    const extraClients: StartOptions['extraClients'] = [
      {
        clientId: 'pep-tasks',
        apiKey: 'key-tasks-00000003',
        resourceType: 'Task',
        requireContractPass: true,
        endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'static', token: 'x-static-token' } },
      },
    ];
    t = await startTestPlatform({
      packLookup: (n) => PACK.get(n),
      extraClients,
      contractPassed: (id) => contract.has(id),
    });
    prod = await startTestPlatform({ profile: 'prod' });
  });
  afterAll(async () => {
    await t.close();
    await prod.close();
  });
  beforeEach(() => {
    t.store.reset();
    t.clock.set('2025-06-01T09:00:00.000Z');
    t.faults.clearAll();
  });

  const otherKeyRing = new KeyRing();
  const cases: Record<
    ReasonCode,
    { call: (t: TestPlatform) => Promise<Call>; status: number; registered?: number; detail: RegExp }
  > = {
    'trailing-slash': {
      call: async () => ({ path: '/records/' }),
      status: 404,
      detail: /POST \/records\/ was received/,
    },
    'missing-authorization': { call: async () => ({ auth: null }), status: 401, detail: /no Authorization header/ },
    'authorization-not-bearer': {
      call: async () => ({ auth: `Basic ${Buffer.from('pep-01:x').toString('base64')}` }),
      status: 401,
      detail: /"Basic" scheme/,
    },
    'unknown-api-key': {
      call: async () => ({ auth: 'Bearer 6b882ddf-82f5-4611-9390-71ca6a045a60' }),
      status: 401,
      detail: /example API key from the Record Service specification/,
    },
    'token-not-issued-here': {
      call: async (p) => ({
        auth: `Bearer ${(await issueAccessToken(otherKeyRing, { clientId: 'pep-01', tokenUrl: p.tokenUrl, clock: p.clock })).token}`,
      }),
      status: 401,
      detail: /not this platform's token-signing key/,
    },
    'token-expired': {
      call: async (p) => {
        const tok = await issueAccessToken(p.keyRing, { clientId: 'pep-01', tokenUrl: p.tokenUrl, clock: p.clock });
        p.clock.advance(600_000);
        return { auth: `Bearer ${tok.token}` };
      },
      status: 401,
      detail: /expired at 2025-06-01T09:09:59.000Z/,
    },
    'token-audience': {
      call: async (p) => ({
        auth: `Bearer ${(await issueAccessToken(p.keyRing, { clientId: 'pep-01', tokenUrl: 'http://localhost:7070/oauth2/token', clock: p.clock })).token}`,
      }),
      status: 401,
      detail:
        /aud is "http:\/\/localhost:7070\/oauth2\/token", but this environment's token URL is http:\/\/127\.0\.0\.1:\d+\/oauth2\/token/,
    },
    'wrong-content-type': {
      call: async () => ({ contentType: 'text/plain' }),
      status: 415,
      detail: /Content-Type is "text\/plain"/,
    },
    'unsupported-charset': {
      call: async () => ({ contentType: 'application/json; charset=latin1' }),
      status: 415,
      detail: /charset "latin1"; the body must be UTF-8/,
    },
    'body-too-large': {
      call: async () => ({ raw: JSON.stringify({ clientId: 'pep-01', nhsNumbers: TEN, pad: 'y'.repeat(1_100_000) }) }),
      status: 413,
      detail: /limit is/,
    },
    'malformed-json': { call: async () => ({ raw: '{"clientId":' }), status: 400, detail: /not valid JSON/ },
    'invalid-request-body': {
      call: async () => ({ body: { nhsNumbers: TEN } }),
      status: 400,
      detail: /"clientId" is required/,
    },
    'client-id-placeholder': {
      call: async () => ({ body: { clientId: '${CLIENT_ID}', nhsNumbers: TEN } }),
      status: 400,
      detail: /template placeholder; the credential belongs to clientId "pep-01"/,
    },
    'unknown-client-id': {
      call: async () => ({ auth: 'Bearer not-a-key-at-all', body: { clientId: 'pep-99', nhsNumbers: TEN } }),
      status: 401,
      detail: /clientId "pep-99" is not registered/,
    },
    'client-id-mismatch': {
      call: async () => ({ body: { clientId: 'pep-docs', nhsNumbers: TEN } }),
      status: 400,
      detail:
        /API key belongs to clientId "pep-01" \(Appointment\), but the body says "pep-docs" is another registered client \(DocumentReference\)/,
    },
    'batch-over-limit': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: generateNhsNumbers(201, 5) } }),
      status: 400,
      detail: /201 NHS numbers in one call; the integration profile accepts at most 200/,
    },
    'nhs-number-pattern': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, '999 000 0018'] } }),
      status: 400,
      detail: /nhsNumbers\[10\] \("999\*+8": contains spaces/,
    },
    'check-digit': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, BAD_CHECK_DIGIT] } }),
      status: 400,
      detail: /1 NHS number\(s\) fail the Modulus 11 check: nhsNumbers\[10\] \("999\*\*\*\*\*\*0": wrong check digit\)/,
    },
    'not-synthetic': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, NOT_SYNTHETIC] } }),
      status: 400,
      detail:
        /outside the synthetic test ranges \(numbers starting 9: never issued to patients \(9xx\)\): nhsNumbers\[10\] \("401\*+7"\)/,
    },
    'under-16': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, UNDER_16] } }),
      status: 400,
      detail: /under 16 today: nhsNumbers\[10\]/,
    },
    sensitive: {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, SENSITIVE] } }),
      status: 400,
      detail: /flagged sensitive: nhsNumbers\[10\]/,
    },
    'excluded-by-trust': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, EXCLUDED] } }),
      status: 400,
      detail: /excluded by their trust: nhsNumbers\[10\]/,
    },
    'duplicate-in-batch': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: [...TEN, TEN[3], TEN[3]] } }),
      status: 200,
      registered: 10,
      detail: /2 repeated entries \(each number counts once\): nhsNumbers\[10\] .*nhsNumbers\[11\]/,
    },
    'unknown-body-field': {
      call: async () => ({ body: { clientId: 'pep-01', nhsNumbers: TEN, nhsNumber: TEN[0], priority: 'high' } }),
      status: 200,
      registered: 10,
      detail: /properties the Record Service does not read, ignored: "nhsNumber", "priority"/,
    },
    'no-supplier-endpoint': {
      call: async () => ({}),
      status: 200,
      registered: 10,
      detail:
        /clientId "pep-01" \(Appointment\) has no supplier endpoint configured, so the aggregator will not pull for these 10 patient\(s\)/,
    },
    'contract-checks-not-passed': {
      call: async () => ({ auth: 'Bearer key-tasks-00000003', body: { clientId: 'pep-tasks', nhsNumbers: TEN } }),
      status: 200,
      registered: 10,
      detail: /requires a passed contract check/,
    },
    'fault-injected': {
      call: async (p) => {
        p.faults.set('pep-01', { errorRates: { 503: 1 } });
        return {};
      },
      status: 503,
      detail: /answered 503 for clientId "pep-01"/,
    },
  };

  it('has a case for every reason in the catalogue', () => {
    expect(Object.keys(cases).sort()).toEqual([...REASON_CODES].sort());
  });

  it.each(Object.keys(cases) as ReasonCode[])(
    '%s: found, explained, and answered as the catalogue says',
    async (code) => {
      const c = cases[code];
      const res = await post(t, await c.call(t));
      expect(res.status).toBe(c.status);
      const v = await lastVerdict(t);
      const found = v.reasons.find((r) => r.code === code);
      expect(found).toBeDefined();
      expect(found!.detail).toMatch(c.detail);
      expect(found!.fix.length).toBeGreaterThan(20);
      expect(v.registered).toBe(c.registered ?? 0);
      expect(t.store.clientCounts().reduce((a, x) => a + x.count, 0)).toBe(c.registered ?? 0);
      if (c.status >= 400 && res.body.harness)
        expect(res.body.harness.reasons.map((r: { code: string }) => r.code)).toContain(code);
      expect(res.headers['x-pca-harness-warning']).toContain(`[${code}]`);
    },
  );

  it('contract-checks-not-passed goes away once the contract check passed', async () => {
    contract.add('pep-tasks');
    try {
      const res = await post(t, {
        auth: 'Bearer key-tasks-00000003',
        body: { clientId: 'pep-tasks', nhsNumbers: TEN },
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-pca-harness-warning']).toBeUndefined();
    } finally {
      contract.delete('pep-tasks');
    }
  });

  it('batch-over-limit: the prod profile accepts 5,000 and refuses 5,001', async () => {
    const nums = generateNhsNumbers(5001, 8);
    const ok = await post(prod, { body: { clientId: 'pep-01', nhsNumbers: nums.slice(0, 5000) } });
    expect(ok.status).toBe(200);
    expect(prod.store.countDistinct('pep-01')).toBe(5000);
    const over = await post(prod, { body: { clientId: 'pep-01', nhsNumbers: nums } });
    expect(over.status).toBe(400);
    expect(over.body.data).toBe('"nhsNumbers" must contain less than or equal to 5000 items');
    expect(prod.store.countDistinct('pep-01')).toBe(5000);
  });

  it('prod profile does not apply the synthetic-range rule', async () => {
    const res = await post(prod, { body: { clientId: 'pep-01', nhsNumbers: [NOT_SYNTHETIC] } });
    expect(res.status).toBe(200);
    expect(prod.store.get('pep-01', NOT_SYNTHETIC)).toBeDefined();
  });

  it('an access token from the OAuth mock works, and the clientId must be its client', async () => {
    const tok = await requestAccessToken(t.tokenUrl, { clientId: 'pep-01', key: t.clientKey, clock: t.clock });
    const ok = await post(t, { auth: `Bearer ${tok.access_token}` });
    expect(ok.status).toBe(200);
    expect((await lastVerdict(t)).credential).toMatchObject({ kind: 'access-token', clientId: 'pep-01' });
    const other = await post(t, {
      auth: `Bearer ${tok.access_token}`,
      body: { clientId: 'pep-docs', nhsNumbers: TEN },
    });
    expect(other.status).toBe(400);
    expect(other.body.data).toBe('clientId mismatch');
    expect((await lastVerdict(t)).reasons[0]!.detail).toMatch(/^the access token belongs to clientId "pep-01"/);
  });
});

describe('int mode answers as INT does', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ mode: 'int', packLookup: (n) => PACK.get(n) });
  });
  afterAll(() => t.close());
  beforeEach(() => t.store.reset());

  it('the seed thread: 200 success, nothing registered, every reason in X-PCA-Harness-Warning', async () => {
    const res = await post(t, {
      path: '/records/',
      auth: 'Bearer 3f1c9a7e-never-issued-by-this-platform',
      body: { clientId: '<client_id>', nhsNumbers: TEN },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'success' });
    const warning = res.headers['x-pca-harness-warning'] as string;
    expect(warning).toMatch(/^nothing registered of 10 NHS number\(s\): 3 problem\(s\)/);
    for (const c of ['trailing-slash', 'unknown-api-key', 'client-id-placeholder']) expect(warning).toContain(`[${c}]`);
    expect(t.store.clientCounts()).toEqual([]);
    expect((await lastVerdict(t)).status).toBe(200);
  });

  it("keeps the spec's own errors: 401 for an unknown key, 400 for a clientId mismatch, in the spec's body shape", async () => {
    const unknown = await post(t, { auth: 'Bearer nope-nope-nope' });
    expect(unknown.status).toBe(401);
    expect(Object.keys(unknown.body).sort()).toEqual(['code', 'data']);
    expect(unknown.body.code).toBe('error.unauthorized');
    const mismatch = await post(t, { body: { clientId: 'pep-docs', nhsNumbers: TEN } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({ code: 'error.bad-request', data: 'clientId mismatch' });
  });

  it('registers the good numbers and silently ignores the rest, with the reasons in the header', async () => {
    const res = await post(t, {
      body: { clientId: 'pep-01', nhsNumbers: [...TEN, BAD_CHECK_DIGIT, NOT_SYNTHETIC, UNDER_16, SENSITIVE] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: 'success' });
    expect(t.store.countDistinct('pep-01')).toBe(10);
    const v = await lastVerdict(t);
    expect(v).toMatchObject({ outcome: 'partly-registered', received: 14, registered: 10, ignored: 4 });
    expect(codes(v)).toEqual(['check-digit', 'not-synthetic', 'under-16', 'sensitive', 'no-supplier-endpoint']);
    expect(res.headers['x-pca-harness-warning']).toMatch(
      /^registered 10 of 14 NHS number\(s\) \(10 new\); 4 ignored: check-digit, not-synthetic, under-16, sensitive; note: no-supplier-endpoint/,
    );
  });
});

describe('harness endpoints', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.store.reset();
    t.faults.clearAll();
    t.clock.set('2025-06-01T09:00:00.000Z');
  });
  const http = () => request(t.server.server);

  it('diagnostics filter by clientId and since, newest first, and refuse a bad since', async () => {
    await post(t, {});
    t.clock.advance(60_000);
    await post(t, { auth: `Bearer ${DOCS_API_KEY}`, body: { clientId: 'pep-docs', nhsNumbers: TEN } });
    t.clock.advance(60_000);
    await post(t, { path: '/records/' });
    const all = (await http().get('/_harness/records/diagnostics')).body as { verdicts: RecordsCallVerdict[] };
    expect(all.verdicts.map((v) => v.path)).toEqual(['/records/', '/records', '/records']);
    const docs = (await http().get('/_harness/records/diagnostics?clientId=pep-docs')).body as {
      verdicts: RecordsCallVerdict[];
    };
    expect(docs.verdicts.map((v) => v.clientId)).toEqual(['pep-docs']);
    const since = (await http().get('/_harness/records/diagnostics?since=2025-06-01T09:01:00Z')).body as {
      verdicts: RecordsCallVerdict[];
    };
    expect(since.verdicts).toHaveLength(2);
    const one = await http().get(`/_harness/records/diagnostics/${all.verdicts[0]!.id}`);
    expect(one.body.path).toBe('/records/');
    expect((await http().get('/_harness/records/diagnostics?since=yesterday')).status).toBe(400);
    expect((await http().get('/_harness/records/diagnostics?limit=0')).status).toBe(400);
    const twice = await http().get('/_harness/records/diagnostics?clientId=pep-docs&clientId=pep-01');
    expect(twice.status).toBe(400);
    expect(twice.body).toEqual({ error: 'bad-query', message: 'give clientId at most once' });
    expect((await http().get('/_harness/records/reconciliation?clientId=a&clientId=b')).status).toBe(400);
    expect((await http().get('/_harness/records/diagnostics/99999')).body).toEqual({
      error: 'not-found',
      message: 'no verdict 99999',
    });
  });

  it('reconciliation counts distinct numbers up to a point in time; lists are masked unless full=1', async () => {
    await post(t, { body: { clientId: 'pep-01', nhsNumbers: TEN.slice(0, 6) } });
    t.clock.advance(3_600_000);
    await post(t, { body: { clientId: 'pep-01', nhsNumbers: TEN } });
    const at = (q: string) => http().get(`/_harness/records/reconciliation?clientId=pep-01${q}`);
    expect((await at('')).body).toMatchObject({
      clientId: 'pep-01',
      knownClient: true,
      distinctNhsNumbers: 10,
      until: '2025-06-01T10:00:00.000Z',
    });
    expect((await at('&until=2025-06-01T09:30:00Z')).body.distinctNhsNumbers).toBe(6);
    expect((await at('&until=2025-06-01T08:00:00Z')).body.distinctNhsNumbers).toBe(0);
    const masked = (await at('&list=1')).body as { nhsNumbers: string[]; masked: boolean };
    expect(masked.masked).toBe(true);
    expect(masked.nhsNumbers).toHaveLength(10);
    for (const n of masked.nhsNumbers) expect(n).toMatch(/^\d{3}\*{6}\d$/);
    const page1 = (await at('&full=1&limit=4')).body as { nhsNumbers: string[]; next: string };
    const page2 = (await at(`&full=1&limit=4&after=${page1.next}`)).body as { nhsNumbers: string[]; next: string };
    const page3 = (await at(`&full=1&limit=4&after=${page2.next}`)).body as { nhsNumbers: string[]; next?: string };
    expect([...page1.nhsNumbers, ...page2.nhsNumbers, ...page3.nhsNumbers]).toEqual([...TEN].sort());
    expect(page3.next).toBeUndefined();
    expect((await http().get('/_harness/records/reconciliation')).status).toBe(400);
    expect((await at('&until=soon')).status).toBe(400);
  });

  it('fault injection: 500 registers nothing; the timeout emulation answers 504 after the configured time; runtime control', async () => {
    expect(
      (
        await http()
          .put('/_harness/records/faults/pep-01')
          .send({ errorRates: { 500: 1 } })
      ).status,
    ).toBe(200);
    const failed = await post(t, {});
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('error.internal-server-error');
    expect(failed.headers['x-pca-harness-fault']).toBe('500');
    expect(t.store.countDistinct('pep-01')).toBe(0);
    expect(await lastVerdict(t)).toMatchObject({ outcome: 'faulted', received: 10, registered: 0, status: 500 });

    await http().put('/_harness/records/faults/pep-01').send({ timeoutRate: 1, timeoutMs: 150 });
    const started = Date.now();
    const timedOut = await post(t, {});
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(timedOut.headers['x-pca-harness-fault']).toBe('timeout after 150 ms');

    await http().put('/_harness/records/faults/pep-01').send({ latencyMs: 120 });
    const slowStart = Date.now();
    expect((await post(t, {})).status).toBe(200);
    expect(Date.now() - slowStart).toBeGreaterThanOrEqual(110);

    const listed = (await http().get('/_harness/records/faults')).body as {
      clients: Array<{ clientId: string; source: string; calls: number }>;
    };
    expect(listed.clients).toEqual([expect.objectContaining({ clientId: 'pep-01', source: 'runtime', calls: 1 })]);
    expect((await http().delete('/_harness/records/faults/pep-01')).status).toBe(204);
    expect((await http().delete('/_harness/records/faults/pep-01')).status).toBe(404);
    expect(
      (
        await http()
          .put('/_harness/records/faults/pep-01')
          .send({ errorRates: { 503: 0.8 }, timeoutRate: 0.5 })
      ).body,
    ).toEqual({ error: 'bad-request', message: expect.stringMatching(/add up to 1.3/) });
    expect(
      (
        await http()
          .put('/_harness/records/faults/pep-01')
          .send({ errorRates: { 502: 1 } })
      ).status,
    ).toBe(400);
  });

  it('clients can be added, listed (secrets hidden) and removed at runtime', async () => {
    const added = await http()
      .post('/_harness/clients')
      .send({ clientId: 'pep-new', apiKey: 'key-new-client-0009', resourceType: 'Task' });
    expect(added.status).toBe(201);
    expect(
      (await post(t, { auth: 'Bearer key-new-client-0009', body: { clientId: 'pep-new', nhsNumbers: TEN } })).status,
    ).toBe(200);
    const listed = await http().get('/_harness/clients');
    expect(JSON.stringify(listed.body)).not.toContain('key-new-client-0009');
    expect(listed.body.clients.map((c: { clientId: string }) => c.clientId)).toContain('pep-new');
    expect((await http().post('/_harness/clients').send({ clientId: 'pep-bad', resourceType: 'Patient' })).status).toBe(
      400,
    );
    expect(
      (await http().post('/_harness/clients').send({ clientId: 'pep-dup', apiKey: API_KEY, resourceType: 'Task' }))
        .body,
    ).toEqual({ error: 'invalid-client', message: expect.stringMatching(/already used by clientId "pep-01"/) });
    expect((await http().delete('/_harness/clients/pep-new')).status).toBe(204);
    expect(
      (await post(t, { auth: 'Bearer key-new-client-0009', body: { clientId: 'pep-new', nhsNumbers: TEN } })).status,
    ).toBe(401);
  });

  it('serves the reason catalogue', async () => {
    const res = await http().get('/_harness/records/catalogue');
    expect(res.body.reasons.map((r: { code: string }) => r.code)).toEqual([...REASON_CODES]);
  });
});
