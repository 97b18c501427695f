/**
 * The consumer API as the NHS App sees it, against the consumer spec's tables and examples: the API
 * platform's bearer (401), maintenance (503), the 10 s deadline (504, fake timers), `Prefer`
 * steering (422 for unknown names), waiting lists and referrals from the simulated sources, and the
 * business rules AGGBR23/30/33/34 reported as information issues. Real HTTP to a real supplier app
 * serving the default pack, real RS512 ID tokens, the project's aggregator schema on every Bundle.
 */
import express from 'express';
import request from 'supertest';
import type { ClientConfig } from '../../core/config';
import type { Bundle, CarePlan, OperationOutcome, ProducerResourceType } from '../../core/fhir';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { mintIdToken } from '../../core/tokens';
import { validatePayload, validateProducerBundle } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { PackIndex, type PackPatient } from '../../fixtures/pack';
import { NHS_LOGIN_KEY } from '../nhs-login/app';
import { ClientRegistry } from '../record-service/clients';
import { type BusinessRules, DEFAULT_BUSINESS_RULES } from './business-rules';
import { type AggregatorLimits, createAggregator } from './consumer';
import { createConsumerHarnessRouter, MaintenanceSwitch } from './maintenance';
import { packSources } from './sources';
import { CONSUMER_EXAMPLES, EXAMPLE_FOR_CODE } from './steering';
import { BearerTokenCache } from './upstream';

const ISSUER = 'http://platform.test/nhs-login';
const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const index = new PackIndex(pack);
const byScenario = (s: string): PackPatient => pack.patients.find((p) => p.scenario === s)!;
const TYPES: ProducerResourceType[] = ['Appointment', 'DocumentReference', 'Task'];
const CLIENT_FOR: Record<ProducerResourceType, string> = {
  Appointment: 'portal-appts',
  DocumentReference: 'portal-docs',
  Task: 'portal-tasks',
};

let supplier: RunningServer;
let slowMs = 0;
let supplierHits = 0;
const keyRing = new KeyRing();

beforeAll(async () => {
  const app = express();
  for (const type of TYPES) {
    app.get(`/${type}`, async (req, res) => {
      supplierHits += 1;
      if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
      const n = String(req.query['patient:identifier']).split('|')[1] ?? '';
      const bundle = index.get(n)?.expected[type] ?? { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] };
      res.type('application/fhir+json').send(JSON.stringify(bundle));
    });
  }
  supplier = await listen(app);
});

afterAll(async () => {
  await supplier.close();
});

function setup(opts: { limits?: AggregatorLimits; rules?: BusinessRules; sources?: boolean } = {}) {
  const clients = new ClientRegistry(
    TYPES.map((t): ClientConfig => ({
      clientId: CLIENT_FOR[t],
      resourceType: t,
      endpoint: { url: supplier.url, auth: { type: 'static', token: 'static' } },
    })),
  );
  const maintenance = new MaintenanceSwitch();
  const agg = createAggregator({
    directory: { client: (id) => clients.get(id), contractPassed: () => false },
    registrations: { clientIdsFor: () => Object.values(CLIENT_FOR) },
    keyRing,
    issuer: () => ISSUER,
    baseUrl: () => 'http://platform.test',
    tokens: new BearerTokenCache(),
    validate: validateProducerBundle,
    ...(opts.sources === false ? {} : { sources: packSources((n) => index.get(n)) }),
    rules: opts.rules ?? DEFAULT_BUSINESS_RULES,
    maintenance,
    limits: { upstreamTimeoutMs: 2_000, requestTimeoutMs: 5_000, ...opts.limits },
  });
  const app = express();
  app.use('/aggregator', agg.router);
  return { app, maintenance, gauge: agg.gauge, fanOut: agg.fanOut };
}

async function idToken(p: PackPatient): Promise<string> {
  const key = await keyRing.get(NHS_LOGIN_KEY);
  return (await mintIdToken(key, { issuer: ISSUER, nhsNumber: p.nhsNumber, birthDate: p.birthDate })).token;
}

const events = (n: string) =>
  `/aggregator/events?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${n}`)}`;

async function ask(app: express.Express, p: PackPatient, headers: Record<string, string> = {}) {
  let r = request(app)
    .get(events(p.nhsNumber))
    .set('NHSD-ID-Token', await idToken(p));
  for (const [k, v] of Object.entries({ Authorization: 'Bearer nhs-app', ...headers })) r = r.set(k, v);
  return r;
}

function parse(text: string): Bundle {
  const body = JSON.parse(text) as Bundle;
  expect(validatePayload('aggregator-bundle', body).diagnostics).toEqual([]);
  return body;
}

const plans = (b: Bundle): CarePlan[] =>
  (b.entry ?? []).map((e) => e.resource).filter((r): r is CarePlan => r.resourceType === 'CarePlan');
const issues = (b: Bundle): OperationOutcome['issue'] =>
  (b.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is OperationOutcome => r.resourceType === 'OperationOutcome')
    .flatMap((o) => o.issue);
const activityCount = (b: Bundle): number => plans(b).reduce((t, p) => t + (p.activity?.length ?? 0), 0);
const sourceOf = (i: OperationOutcome['issue'][number]) => i.extension?.[0]?.valueCode;

describe('the API platform in front (consumer 4XX table: 401 processing)', () => {
  const p = byScenario('booked outpatient, face to face');

  it.each([
    ['absent', undefined, /Authorization header is required/],
    ['not Bearer', 'Basic dXNlcjpwdw==', /must be "Bearer <access token>"/],
    ['Bearer with no token', 'Bearer ', /must be "Bearer <access token>"/],
  ])('401 ACCESS_DENIED when the bearer is %s', async (_what, header, message) => {
    const { app } = setup();
    let r = request(app)
      .get(events(p.nhsNumber))
      .set('NHSD-ID-Token', await idToken(p));
    if (header !== undefined) r = r.set('Authorization', header);
    const res = await r;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    const issue = (res.body as OperationOutcome).issue[0]!;
    expect(issue).toMatchObject({ severity: 'error', code: 'processing' });
    expect(issue.details?.coding?.[0]).toMatchObject({ code: 'ACCESS_DENIED', display: 'Invalid access token' });
    expect(issue.diagnostics).toMatch(message);
    expect(validatePayload('operation-outcome', res.body).diagnostics).toEqual([]);
  });

  it('accepts any non-empty token by default, and only the listed ones when consumerTokens is configured', async () => {
    expect((await ask(setup().app, p, { Authorization: 'Bearer anything-at-all' })).status).toBe(200);
    const { app } = setup({ limits: { consumerTokens: ['nhs-app-int'] } });
    const refused = await ask(app, p, { Authorization: 'Bearer anything-at-all' });
    expect(refused.status).toBe(401);
    expect(refused.body.issue[0].diagnostics).toMatch(/consumerTokens/);
    expect(refused.text).not.toContain('anything-at-all');
    expect((await ask(app, p, { Authorization: 'Bearer nhs-app-int' })).status).toBe(200);
  });
});

describe('maintenance (consumer WF-NFR-06) and the deadline (consumer WF-NFR-02)', () => {
  const p = byScenario('booked outpatient, face to face');

  it('503 with Retry-After while the switch is on, and normal answers once it is off', async () => {
    const { app, maintenance } = setup();
    maintenance.set(true, 'planned release');
    const res = await ask(app, p);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3600');
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'transient', diagnostics: 'planned release' });
    maintenance.set(false);
    expect((await ask(app, p)).status).toBe(200);
  });

  it('504 timeout at the 10,000 ms deadline, driven by fake timers', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
    try {
      const { app } = setup({ limits: { requestTimeoutMs: 10_000, upstreamTimeoutMs: 9_000 } });
      // The supplier never answers before the deadline: its reply waits on a (fake) timer too.
      slowMs = 60_000;
      const server = await listen(app);
      try {
        const token = await idToken(p);
        const pending = fetch(`${server.url}${events(p.nhsNumber)}`, {
          headers: { Authorization: 'Bearer nhs-app', 'NHSD-ID-Token': token },
        });
        // Time moves only once every supplier call is in flight (explicit readiness, no sleeping).
        supplierHits = 0;
        for (let i = 0; i < 100_000 && supplierHits < 3; i++) await new Promise((r) => setImmediate(r));
        expect(supplierHits).toBe(3);
        await jest.advanceTimersByTimeAsync(9_999);
        await jest.advanceTimersByTimeAsync(1);
        const res = await pending;
        expect(res.status).toBe(504);
        const body = (await res.json()) as OperationOutcome;
        expect(body.issue[0]).toMatchObject({
          code: 'timeout',
          diagnostics: 'The request did not complete within 10000 ms',
        });
        await jest.advanceTimersByTimeAsync(60_000);
      } finally {
        await server.close();
      }
    } finally {
      slowMs = 0;
      jest.useRealTimers();
    }
  });
});

describe('Prefer steering', () => {
  const p = byScenario('booked outpatient, face to face');

  it.each(Object.entries(EXAMPLE_FOR_CODE))('Prefer: code=%s answers that status', async (code, example) => {
    const res = await ask(setup().app, p, { Prefer: `code=${code}` });
    expect(res.status).toBe(Number(code));
    expect(CONSUMER_EXAMPLES[example]!.status).toBe(Number(code));
    if (res.status === 200 || res.status === 207) {
      if (res.text !== '') parse(res.text);
    } else if (res.status !== 429) {
      expect(validatePayload('operation-outcome', res.body).diagnostics).toEqual([]);
    }
  });

  it.each(Object.keys(CONSUMER_EXAMPLES))('Prefer: example=%s answers a valid body', async (name) => {
    const res = await ask(setup().app, p, { Prefer: `example=${name}` });
    expect(res.status).toBe(CONSUMER_EXAMPLES[name]!.status);
    if ((res.status === 200 || res.status === 207) && res.text !== '') {
      const b = parse(res.text);
      expect(b.id).toBe(res.headers['x-correlation-id']);
    }
  });

  it.each([
    ['code=418', /code=418 is not a status the consumer API answers; known codes: 200, 207/],
    ['example=noSuchExample', /example=noSuchExample names no example; known examples: emptyBundle/],
    ['scenario=no-such-thing', /scenario=no-such-thing names no scenario; known scenarios: waiting-list-timeout/],
    ['code=504, example=under16', /example=under16 answers 403, not code=504/],
    ['scenario=waiting-list-timeout, code=504', /cannot be combined/],
  ])('422 for Prefer: %s, naming what exists', async (prefer, message) => {
    const res = await ask(setup().app, p, { Prefer: prefer });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });

  it('ignores preferences it does not steer by (RFC 7240)', async () => {
    expect((await ask(setup().app, p, { Prefer: 'return=representation' })).status).toBe(200);
  });

  it('a named scenario fails one upstream for one request, as example pifuWlmdsError shows', async () => {
    const { app } = setup();
    const wl = byScenario('waiting lists and a referral');
    const res = await ask(app, wl, { Prefer: 'scenario=waiting-list-timeout' });
    expect(res.status).toBe(207);
    const b = parse(res.text);
    expect(issues(b)).toEqual([
      expect.objectContaining({ severity: 'error', code: 'timeout', diagnostics: 'waitinglist-api request timed out' }),
    ]);
    expect(sourceOf(issues(b)[0]!)).toBe('nhs-waiting-list-01');
    // The referral still arrives; only the waiting lists are missing.
    expect(plans(b)).toHaveLength(1);
    const next = await ask(app, wl);
    expect(next.status).toBe(200);
    expect(plans(parse(next.text))).toHaveLength(3);
  });

  it('scenario=referrals-error reports e-RS as the failed source', async () => {
    const res = await ask(setup().app, byScenario('waiting lists and a referral'), {
      Prefer: 'scenario=referrals-error',
    });
    expect(res.status).toBe(207);
    const b = parse(res.text);
    expect(issues(b).map((i) => [i.code, sourceOf(i), i.diagnostics])).toEqual([['transient', 'ers-01', 'http-500']]);
  });
});

describe('waiting lists and referrals from the simulated sources', () => {
  it('one CarePlan per waiting-list entry with planned and 80th-percentile waits, and the referral as a ServiceRequest', async () => {
    const p = byScenario('waiting lists and a referral');
    const res = await ask(setup().app, p);
    expect(res.status).toBe(200);
    const b = parse(res.text);
    const [main, ophth, ortho] = plans(b);
    const referral = main!.activity![0]!.detail as { kind: string; id: string; extension: Array<{ url: string }> };
    expect(referral.kind).toBe('ServiceRequest');
    expect(referral.id).toBe(p.consumer!.referrals![0]!.ubrn);
    expect(ophth!.identifier![0]!.value).toBe(p.consumer!.waitingList![0]!.pathwayId);
    expect(ophth!.period!.extension).toEqual([
      {
        url: 'https://fhir.nhs.uk/StructureDefinition/Extension-PlannedWaitTime',
        valueDuration: { value: 22, unit: 'weeks' },
      },
      {
        url: 'https://fhir.nhs.uk/StructureDefinition/Extension-80thPercentileWaitTime',
        valueDuration: { value: 25, unit: 'weeks' },
      },
    ]);
    expect(ophth!.activity).toBeUndefined();
    const pifu = ortho!.activity![0]!.detail as { kind: string; status: string };
    expect(pifu).toMatchObject({ kind: 'QuestionnaireResponse', status: 'not-started' });
    expect(b.entry!.map((e) => e.fullUrl)).toEqual([
      `http://platform.test/CarePlan/${b.id}`,
      `http://platform.test/CarePlan/${p.consumer!.waitingList![0]!.pathwayId}`,
      `http://platform.test/CarePlan/${p.consumer!.waitingList![1]!.pathwayId}`,
    ]);
  });

  it('without sources configured the suppliers are the only upstreams', async () => {
    const res = await ask(setup({ sources: false }).app, byScenario('waiting lists and a referral'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });
});

describe('business rules, reported as information / business-rule issues', () => {
  it('AGGBR30 rejects a record over 8 years old, names its supplier, and answers 200', async () => {
    const p = byScenario('record over 8 years old');
    const old = p.expected.Appointment!.entry!.find((e) => e.resource.start! < TODAY.toISOString())!.resource;
    const res = await ask(setup().app, p);
    expect(res.status).toBe(200);
    const b = parse(res.text);
    expect(issues(b)).toEqual([
      {
        severity: 'information',
        code: 'business-rule',
        extension: [{ url: 'https://fhir.nhs.uk/StructureDefinition/ExtensionErrorSource', valueCode: 'portal-appts' }],
        diagnostics: `AGGBR30: rejected Appointment ${old.id} with date ${old.start} due to being over 8 years in the past`,
      },
    ]);
    expect(activityCount(b)).toBe(1);
  });

  it('AGGBR30 follows the configured age', async () => {
    const p = byScenario('record over 8 years old');
    const res = await ask(setup({ rules: { ...DEFAULT_BUSINESS_RULES, maxRecordAgeYears: 10 } }).app, p);
    expect(res.status).toBe(200);
    expect(activityCount(parse(res.text))).toBe(2);
  });

  it('AGGBR34 rejects a waiting-list PIFU questionnaire and AGGBR23 excludes a waiting-list entry, by ODS list', async () => {
    const p = byScenario('excluded waiting list and PIFU source');
    const res = await ask(setup().app, p);
    expect(res.status).toBe(200);
    const b = parse(res.text);
    expect(issues(b).map((i) => [i.severity, i.code, sourceOf(i), i.diagnostics])).toEqual([
      [
        'information',
        'business-rule',
        'nhs-waiting-list-01',
        'AGGBR34: rejected Task undefined from nhs-waiting-list-01 with orgCode TST due to ODS whitelist exclusion',
      ],
      [
        'information',
        'business-rule',
        'nhs-waiting-list-01',
        'AGGBR23: excluding WaitingList entry with org code TST due to exclusion rule',
      ],
    ]);
    expect(plans(b)).toHaveLength(1);
    expect(plans(b)[0]!.activity).toBeUndefined();
  });

  it('the ODS lists are configurable: empty lists exclude nothing', async () => {
    const p = byScenario('excluded waiting list and PIFU source');
    const res = await ask(
      setup({ rules: { ...DEFAULT_BUSINESS_RULES, waitingListExcludedOds: [], questionnaireExcludedOds: [] } }).app,
      p,
    );
    const b = parse(res.text);
    expect(issues(b)).toEqual([]);
    expect(plans(b)).toHaveLength(2);
    expect(activityCount(b)).toBe(1);
  });

  it("AGGBR33 puts the supplier's PIFU questionnaire on the waiting-list pathway in place of the waiting list's", async () => {
    const p = byScenario('PIFU at the portal and on the waiting list');
    const res = await ask(setup().app, p);
    expect(res.status).toBe(200);
    const b = parse(res.text);
    const pathway = p.consumer!.waitingList![0]!.pathwayId;
    expect(issues(b).map((i) => [i.severity, i.code, sourceOf(i), i.diagnostics])).toEqual([
      [
        'information',
        'business-rule',
        'nhs-waiting-list-01',
        `AGGBR33: questionnaire with pathwayId ${pathway} from nhs-waiting-list-01 has been replaced with questionnaire from portal-tasks due to PEP priority`,
      ],
    ]);
    const [main, wl] = plans(b);
    expect(main!.activity!.map((a) => (a.detail as { kind: string }).kind)).toEqual(['Appointment']);
    const kept = wl!.activity![0]!.detail as { extension: Array<{ url: string; valueCode?: string }> };
    expect(kept.extension.find((e) => e.url.endsWith('Extension-Client-id'))!.valueCode).toBe('portal-tasks');
  });
});

describe("the default pack's expected consumer view", () => {
  const withView = pack.patients.filter((p) => p.consumer?.expectedView);

  it('covers every business rule, a waiting list and a referral', () => {
    const rules = new Set(withView.flatMap((p) => p.consumer!.expectedView!.businessRules));
    expect([...rules].sort()).toEqual(['AGGBR23', 'AGGBR30', 'AGGBR33', 'AGGBR34']);
    expect(pack.patients.some((p) => (p.consumer?.waitingList?.length ?? 0) > 0)).toBe(true);
    expect(pack.patients.some((p) => (p.consumer?.referrals?.length ?? 0) > 0)).toBe(true);
  });

  it.each(withView.map((p) => [p.scenario!, p]))('%s: the mock answers what the pack expects', async (_s, p) => {
    const res = await ask(setup().app, p);
    const view = p.consumer!.expectedView!;
    expect(res.status).toBe(view.status);
    const b = parse(res.text);
    expect(plans(b)).toHaveLength(view.carePlans);
    expect(activityCount(b)).toBe(view.activities);
    expect(
      issues(b)
        .filter((i) => i.code === 'business-rule')
        .map((i) => i.diagnostics!.slice(0, 7)),
    ).toEqual(view.businessRules);
  });
});

describe('the harness routes (PUT /_harness/maintenance, GET /_harness/steering)', () => {
  it('switches maintenance on and off, refusing a body without a boolean "on"', async () => {
    const maintenance = new MaintenanceSwitch();
    const app = express();
    app.use('/_harness', createConsumerHarnessRouter({ maintenance }));
    await request(app).put('/_harness/maintenance').send({ on: 'yes' }).expect(400);
    await request(app).put('/_harness/maintenance').set('Content-Type', 'application/json').send('{').expect(400);
    const on = await request(app).put('/_harness/maintenance').send({ on: true, message: 'release 3.4' }).expect(200);
    expect(on.body).toMatchObject({ on: true, message: 'release 3.4' });
    expect(maintenance.on).toBe(true);
    await request(app).put('/_harness/maintenance').send({ on: false }).expect(200);
    expect((await request(app).get('/_harness/maintenance').expect(200)).body).toEqual({ on: false });
    const steering = await request(app).get('/_harness/steering').expect(200);
    expect(steering.body.scenarios.map((s: { name: string }) => s.name)).toContain('waiting-list-timeout');
    expect(steering.body.codes['504']).toBe('gatewayTimeout');
  });
});

describe('fan-out figures', () => {
  it('records the request and every upstream it asked (suppliers, waiting list, e-RS), served at /_harness/aggregator/fan-out', async () => {
    const { app: api, fanOut, maintenance } = setup();
    const res = await ask(api, byScenario('waiting lists and a referral'));
    expect(res.status).toBe(200);
    // Refused before the fan-out: not counted.
    await request(api)
      .get(events(byScenario('waiting lists and a referral').nhsNumber))
      .expect(401);
    const app = express();
    app.use('/_harness', createConsumerHarnessRouter({ maintenance, fanOut }));
    const snap = (await request(app).get('/_harness/aggregator/fan-out').expect(200)).body as {
      requests: number;
      upstreams: Array<{ name: string; latency: { count: number } }>;
      slowestUpstream?: { name: string };
      overheadP95Ms?: number;
    };
    expect(snap.requests).toBe(1);
    expect(snap.upstreams.map((u) => [u.name, u.latency.count])).toEqual([
      ['ers-01', 1],
      ['nhs-waiting-list-01', 1],
      ['portal-appts', 1],
      ['portal-docs', 1],
      ['portal-tasks', 1],
    ]);
    expect(snap.slowestUpstream).toBeDefined();
    expect(typeof snap.overheadP95Ms).toBe('number');
    await request(app).delete('/_harness/aggregator/fan-out').expect(204);
    expect((await request(app).get('/_harness/aggregator/fan-out').expect(200)).body.requests).toBe(0);
  });
});
