/**
 * The consumer API against real upstream HTTP servers (small Express apps that behave well, slowly,
 * wrongly or not at all), real RS512 ID tokens and the real producer schemas. Timeouts are configured
 * small; assertions are on status and body, never on elapsed time.
 */
import express from 'express';
import request from 'supertest';
import type { ClientConfig } from '../../core/config';
import type { Bundle, CarePlan, OperationOutcome } from '../../core/fhir';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { mintIdToken } from '../../core/tokens';
import { yearsAgo } from '../../core/clock';
import { validatePayload, validateProducerBundle } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { NHS_LOGIN_KEY } from '../nhs-login/app';
import { ClientRegistry } from '../record-service/clients';
import { createAggregator, type AggregatorLimits } from './consumer';
import { BearerTokenCache } from './upstream';

const ISSUER = 'http://platform.test/nhs-login';
const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const patient = pack.patients.find((p) => p.scenario === 'booked outpatient, face to face')!;
const NHS = patient.nhsNumber;

type Mode = 'ok' | 'empty' | 'slow' | 'http-500' | 'http-404' | 'invalid' | 'other-patient' | 'not-json';

interface FakeSupplier {
  server: RunningServer;
  mode: Mode;
  slowMs: number;
  seen: Array<{ correlationId?: string; idToken?: string; authorization?: string; identifier?: string }>;
}

async function fakeSupplier(type: 'Appointment' | 'DocumentReference'): Promise<FakeSupplier> {
  const s = { mode: 'ok' as Mode, slowMs: 1_000, seen: [] as FakeSupplier['seen'] } as FakeSupplier;
  const app = express();
  app.get(`/${type}`, async (req, res) => {
    s.seen.push({
      correlationId: req.get('x-correlation-id'),
      idToken: req.get('nhsd-id-token'),
      authorization: req.get('authorization'),
      identifier: String(req.query['patient:identifier']),
    });
    const bundle = structuredClone(patient.expected[type]!) as Bundle;
    switch (s.mode) {
      case 'ok':
        return res.type('application/fhir+json').send(JSON.stringify(bundle));
      case 'empty':
        return res
          .type('application/fhir+json')
          .send(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }));
      case 'slow':
        await new Promise((r) => setTimeout(r, s.slowMs));
        return res.type('application/fhir+json').send(JSON.stringify(bundle));
      case 'http-500':
        return res.status(500).json({ error: 'boom' });
      case 'http-404':
        return res.status(404).json({ error: 'not here' });
      case 'invalid': {
        delete (bundle.entry![0]!.resource as unknown as Record<string, unknown>).status;
        return res.type('application/fhir+json').send(JSON.stringify(bundle));
      }
      case 'other-patient': {
        const other = JSON.stringify(bundle).split(NHS).join('9990000018');
        return res.type('application/fhir+json').send(other);
      }
      case 'not-json':
        return res.type('text/html').send('<html>portal login</html>');
    }
  });
  s.server = await listen(app);
  return s;
}

function client(clientId: string, type: 'Appointment' | 'DocumentReference', url: string): ClientConfig {
  return { clientId, resourceType: type, endpoint: { url, auth: { type: 'static', token: `static-${clientId}` } } };
}

const keyRing = new KeyRing();
let appts: FakeSupplier;
let docs: FakeSupplier;
let closedUrl: string;

beforeAll(async () => {
  appts = await fakeSupplier('Appointment');
  docs = await fakeSupplier('DocumentReference');
  const gone = await listen(express());
  closedUrl = gone.url;
  await gone.close();
});

afterAll(async () => {
  await appts.server.close();
  await docs.server.close();
});

beforeEach(() => {
  appts.mode = 'ok';
  docs.mode = 'ok';
  appts.seen.length = 0;
  docs.seen.length = 0;
});

function setup(
  opts: {
    registered?: Record<string, string[]>;
    limits?: AggregatorLimits;
    extraClients?: ClientConfig[];
    lookup?: (n: string) => string[];
  } = {},
) {
  const clients = new ClientRegistry([
    client('appts-01', 'Appointment', appts.server.url),
    client('docs-02', 'DocumentReference', docs.server.url),
    ...(opts.extraClients ?? []),
  ]);
  const registered = opts.registered ?? { [NHS]: ['appts-01', 'docs-02'] };
  const agg = createAggregator({
    directory: { client: (id) => clients.get(id), contractPassed: () => false },
    registrations: { clientIdsFor: opts.lookup ?? ((n) => registered[n] ?? []) },
    keyRing,
    issuer: () => ISSUER,
    baseUrl: () => 'http://platform.test',
    tokens: new BearerTokenCache(),
    validate: validateProducerBundle,
    limits: { upstreamTimeoutMs: 300, requestTimeoutMs: 2_000, ...opts.limits },
  });
  const app = express();
  app.use('/aggregator', agg.router);
  return { app, gauge: agg.gauge };
}

async function idToken(
  nhsNumber = NHS,
  birthDate = patient.birthDate,
  opts: { expiresIn?: number; keys?: KeyRing; issuer?: string } = {},
): Promise<string> {
  const key = await (opts.keys ?? keyRing).get(NHS_LOGIN_KEY);
  return (await mintIdToken(key, { issuer: opts.issuer ?? ISSUER, nhsNumber, birthDate, expiresIn: opts.expiresIn }))
    .token;
}

const events = (nhsNumber = NHS) =>
  `/aggregator/events?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`;

/** Every Bundle the aggregator answers must pass the project's aggregator schema. */
function expectValidBundle(body: unknown): void {
  const verdict = validatePayload('aggregator-bundle', body);
  expect(verdict.diagnostics).toEqual([]);
}

function issuesOf(body: Bundle): OperationOutcome['issue'] {
  const oo = body.entry?.find((e) => e.resource.resourceType === 'OperationOutcome')?.resource as
    OperationOutcome | undefined;
  return oo?.issue ?? [];
}

function carePlanOf(body: Bundle): CarePlan | undefined {
  return body.entry?.find((e) => e.resource.resourceType === 'CarePlan')?.resource as CarePlan | undefined;
}

function kinds(plan: CarePlan | undefined): string[] {
  return (plan?.activity ?? []).map((a) => String((a.detail as { kind: string }).kind)).sort();
}

describe('request checks', () => {
  it('400 without patient:identifier, and with a wrong check digit', async () => {
    const { app } = setup();
    const token = await idToken();
    const missing = await request(app)
      .get('/aggregator/events')
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', token);
    expect(missing.status).toBe(400);
    expect(missing.body.issue[0]).toMatchObject({ code: 'exception', diagnostics: '"patient:identifier" is required' });
    const bad = await request(app)
      .get(events('9990000010'))
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', token);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].diagnostics).toMatch(/check digit/);
  });

  it('401 without a token, with a token from another key, an expired token, or another issuer', async () => {
    const { app } = setup();
    const none = await request(app).get(events()).set('Authorization', 'Bearer nhs-app');
    expect(none.status).toBe(401);
    expect(none.body.issue[0]).toMatchObject({ code: 'processing' });
    expect(none.body.issue[0].diagnostics).toMatch(/NHSD-ID-Token header is required/);
    for (const token of [
      await idToken(NHS, patient.birthDate, { keys: new KeyRing() }),
      await idToken(NHS, patient.birthDate, { expiresIn: -600 }),
      await idToken(NHS, patient.birthDate, { issuer: 'https://auth.login.nhs.uk' }),
      'not-a-jwt',
    ]) {
      const res = await request(app).get(events()).set('Authorization', 'Bearer nhs-app').set('NHSD-ID-Token', token);
      expect(res.status).toBe(401);
      expect(res.body.issue[0].diagnostics).toMatch(/NHSD-ID-Token is not a valid NHS login ID token/);
    }
    expect(appts.seen).toHaveLength(0);
  });

  it("401 when the NHS number is not the token's", async () => {
    const { app } = setup();
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken('9990000018'));
    expect(res.status).toBe(401);
    expect(res.body.issue[0].diagnostics).toMatch(/fails to match the required NHS login token subject/);
  });

  it('403 UNDER_16_DENIED for a patient under 16, without calling any supplier', async () => {
    const { app } = setup();
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken(NHS, yearsAgo(TODAY, 16, 1)));
    expect(res.status).toBe(403);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'forbidden', diagnostics: 'UNDER_16_DENIED' });
    expect(appts.seen).toHaveLength(0);
    const sixteen = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken(NHS, yearsAgo(TODAY, 16)));
    expect(sixteen.status).toBe(200);
  });
});

describe('aggregation', () => {
  it('fans out to both suppliers, propagating correlation id and ID token, and answers one CarePlan', async () => {
    const { app, gauge } = setup();
    const token = await idToken();
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', token)
      .set('X-Correlation-ID', 'corr-123');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    expect(res.headers['x-correlation-id']).toBe('corr-123');
    const body = JSON.parse(res.text) as Bundle;
    expectValidBundle(body);
    expect(body).toMatchObject({ resourceType: 'Bundle', id: 'corr-123', type: 'searchset', total: 1 });
    const plan = carePlanOf(body)!;
    expect(plan.subject).toEqual({ identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS } });
    expect(kinds(plan)).toEqual(['Appointment', 'DocumentReference']);
    const sources = plan
      .activity!.map(
        (a) =>
          (a.detail as { extension: Array<{ url: string; valueCode?: string }> }).extension.find((e) =>
            e.url.endsWith('Extension-Client-id'),
          )?.valueCode,
      )
      .sort();
    expect(sources).toEqual(['appts-01', 'docs-02']);
    for (const seen of [appts.seen, docs.seen]) {
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        correlationId: 'corr-123',
        idToken: token,
        identifier: `https://fhir.nhs.uk/Id/nhs-number|${NHS}`,
      });
    }
    expect(appts.seen[0]!.authorization).toBe('Bearer static-appts-01');
    expect(gauge.pending).toBe(0);
  });

  it('200 with an empty body when every supplier answered and none had data (WF-NFR-07)', async () => {
    appts.mode = 'empty';
    docs.mode = 'empty';
    const { app } = setup();
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken());
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('200 with an empty body when no supplier holds the patient', async () => {
    const { app } = setup({ registered: {} });
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken());
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(appts.seen).toHaveLength(0);
  });
});

describe('partial responses (207)', () => {
  async function get(setupOpts: Parameters<typeof setup>[0] = {}) {
    const { app, gauge } = setup(setupOpts);
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken());
    const body = JSON.parse(res.text || 'null') as Bundle;
    expectValidBundle(body);
    return { res, body, gauge };
  }

  it("timeout: a slow supplier is cut off at the per-supplier timeout; the other supplier's data still arrives", async () => {
    appts.mode = 'slow';
    const { res, body } = await get({ limits: { upstreamTimeoutMs: 100, requestTimeoutMs: 5_000 } });
    expect(res.status).toBe(207);
    expect(issuesOf(body)).toEqual([
      {
        severity: 'error',
        code: 'timeout',
        diagnostics: 'appts-01 request timed out',
        extension: [{ url: 'https://fhir.nhs.uk/StructureDefinition/ExtensionErrorSource', valueCode: 'appts-01' }],
      },
    ]);
    expect(kinds(carePlanOf(body))).toEqual(['DocumentReference']);
    expect(body.total).toBe(2);
    expect(body.entry!.map((e) => e.search?.mode)).toEqual(['match', 'include']);
  });

  it('transient: an HTTP error status names the status', async () => {
    docs.mode = 'http-404';
    const { res, body } = await get();
    expect(res.status).toBe(207);
    expect(issuesOf(body)).toEqual([
      expect.objectContaining({
        code: 'transient',
        diagnostics: 'http-404',
        extension: [expect.objectContaining({ valueCode: 'docs-02' })],
      }),
    ]);
    expect(kinds(carePlanOf(body))).toEqual(['Appointment']);
  });

  it('structure: a response failing validation is suppressed whole', async () => {
    appts.mode = 'invalid';
    const { res, body } = await get();
    expect(res.status).toBe(207);
    const [issue] = issuesOf(body);
    expect(issue).toMatchObject({ code: 'structure', extension: [{ valueCode: 'appts-01' }] });
    expect(issue!.diagnostics).toMatch(/^Response failed validation: \/entry\/0\/resource\/status/);
    expect(kinds(carePlanOf(body))).toEqual(['DocumentReference']);
  });

  it('structure: a 200 that is not JSON, and a bundle naming another patient, are refused', async () => {
    appts.mode = 'not-json';
    docs.mode = 'other-patient';
    const { res, body } = await get();
    expect(res.status).toBe(207);
    expect(carePlanOf(body)).toBeUndefined();
    expect(issuesOf(body).map((i) => [i.extension![0]!.valueCode, i.code])).toEqual([
      ['appts-01', 'structure'],
      ['docs-02', 'structure'],
    ]);
    expect(JSON.stringify(body)).not.toContain('9990000018');
  });

  it('exception: an unreachable supplier', async () => {
    const { res, body } = await get({
      extraClients: [client('gone-03', 'Appointment', closedUrl)],
      registered: { [NHS]: ['gone-03', 'docs-02'] },
    });
    expect(res.status).toBe(207);
    expect(issuesOf(body)).toEqual([
      expect.objectContaining({ code: 'exception', diagnostics: 'Error querying gone-03 endpoint' }),
    ]);
  });

  it('multiple errors: one issue per failed supplier, and no CarePlan when nothing came back', async () => {
    appts.mode = 'http-500';
    docs.mode = 'invalid';
    const { res, body, gauge } = await get();
    expect(res.status).toBe(207);
    expect(carePlanOf(body)).toBeUndefined();
    expect(body.total).toBe(1);
    expect(issuesOf(body).map((i) => i.code)).toEqual(['transient', 'structure']);
    expect(gauge.pending).toBe(0);
  });
});

describe('limits', () => {
  it('504 when the whole request passes its deadline, whatever the suppliers are doing', async () => {
    appts.mode = 'slow';
    appts.slowMs = 400;
    const { app, gauge } = setup({ limits: { requestTimeoutMs: 50, upstreamTimeoutMs: 2_000 } });
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken())
      .set('X-Correlation-ID', 'late-1');
    expect(res.status).toBe(504);
    expect(res.headers['x-correlation-id']).toBe('late-1');
    expect(res.body.issue[0]).toMatchObject({ code: 'timeout' });
    // The supplier call outlives the answer; the gauge counts it until it ends.
    await waitFor(() => gauge.pending === 0);
    expect(gauge.pending).toBe(0);
    appts.slowMs = 1_000;
  });

  it("429 with the platform's JSON body above the rate limit", async () => {
    const { app } = setup({ limits: { rateLimit: 3 } });
    const token = await idToken();
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await request(app).get(events()).set('Authorization', 'Bearer nhs-app').set('NHSD-ID-Token', token);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limited!.headers['content-type']).toMatch(/application\/json/);
    expect(limited!.body).toMatchObject({ limit: 3, interval: 1, timeunit: 'second' });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('500 OperationOutcome when the aggregator itself fails, and the gauge still drains', async () => {
    const { app, gauge } = setup({
      lookup: () => {
        throw new Error('database is locked');
      },
    });
    const res = await request(app)
      .get(events())
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken());
    expect(res.status).toBe(500);
    expect(res.body.issue[0]).toMatchObject({ code: 'exception', diagnostics: 'An internal server error occurred' });
    expect(res.text).not.toContain('database is locked');
    expect(gauge.pending).toBe(0);
  });

  it('405 for other methods', async () => {
    const { app } = setup();
    const res = await request(app).post('/aggregator/events');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}
