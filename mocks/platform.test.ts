/**
 * The platform end to end, every part real: two reference suppliers (one the Appointment client, one
 * the DocumentReference client) are onboarded at runtime, their upload clients register the default
 * pack at /records, the scheduler pulls every eligible patient from each with client-credentials
 * bearers and minted ID tokens, and /aggregator/events answers both suppliers' data for a patient.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import type { Bundle, CarePlan } from '../core/fhir';
import { listen, type RunningServer } from '../core/http';
import { validatePayload } from '../contracts/validate';
import { buildDefaultPack } from '../fixtures/default-pack';
import { isEligible, type PackPatient } from '../fixtures/pack';
import { createSupplierApp } from './supplier/app';
import { uploadPack } from './supplier/upload';
import { createPlatform, type Platform } from './platform';

const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const eligible = pack.patients.filter((p) => isEligible(p, TODAY));
const SUPPLIER_CLIENT = { clientId: 'pca-aggregator', clientSecret: 'platform-test-secret' };

function config(overrides: Partial<HarnessConfig['platform']> = {}): HarnessConfig {
  return { ...DEFAULT_CONFIG, platform: { ...DEFAULT_CONFIG.platform, pullRate: 200, ...overrides } };
}

async function waitForPulls(p: Platform, total: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const s = p.scheduler.summary();
    if (s.pending === 0 && s.total >= total) return;
    if (Date.now() > until) throw new Error(`pulls did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function events(nhsNumber: string): string {
  return `/aggregator/events?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`;
}

async function idToken(p: Platform, patient: PackPatient): Promise<string> {
  const res = await request(p.app).post('/nhs-login/_harness/id-token').send({ nhsNumber: patient.nhsNumber });
  expect(res.status).toBe(200);
  return res.body.id_token as string;
}

describe('two reference suppliers through the platform', () => {
  let platform: Platform;
  let suppliers: RunningServer[];

  beforeAll(async () => {
    platform = createPlatform({ config: config(), pack, stateDir: ':memory:' });
    await platform.start(0);
    suppliers = await Promise.all(
      [0, 1].map(() => listen(createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, ...SUPPLIER_CLIENT }))),
    );
    const onboard = (clientId: string, resourceType: string, supplier: RunningServer, apiKey: string) =>
      request(platform.app)
        .put(`/_harness/clients/${clientId}`)
        .send({
          resourceType,
          apiKey,
          endpoint: {
            url: supplier.url,
            auth: { type: 'client_credentials', tokenUrl: `${supplier.url}/oauth2/token`, ...SUPPLIER_CLIENT },
          },
        })
        .expect(201);
    await onboard('ref-appointments', 'Appointment', suppliers[0]!, 'appointments-api-key-01');
    await onboard('ref-documents', 'DocumentReference', suppliers[1]!, 'documents-api-key-02');
    for (const [clientId, apiKey] of [
      ['ref-appointments', 'appointments-api-key-01'],
      ['ref-documents', 'documents-api-key-02'],
    ] as const) {
      const report = await uploadPack({
        recordsUrl: platform.urls().records,
        clientId,
        auth: { type: 'api-key', apiKey },
        pack,
        journal: ':memory:',
        profile: 'int',
      });
      expect(report).toMatchObject({ outcome: 'complete', acknowledged: eligible.length });
    }
    await waitForPulls(platform, eligible.length * 2);
  });

  afterAll(async () => {
    await platform.stop();
    await Promise.all(suppliers.map((s) => s.close()));
  });

  it('pulled every eligible patient once from each supplier, each pull a valid 200 with what the pack expects', () => {
    const results = platform.scheduler.results();
    expect(results).toHaveLength(eligible.length * 2);
    for (const [clientId, type] of [
      ['ref-appointments', 'Appointment'],
      ['ref-documents', 'DocumentReference'],
    ] as const) {
      const mine = results.filter((r) => r.clientId === clientId);
      expect(mine.map((r) => r.nhsNumber).sort()).toEqual(eligible.map((p) => p.nhsNumber).sort());
      for (const r of mine) {
        expect(r).toMatchObject({ outcome: 'ok', status: 200, resourceType: type, schema: { valid: true } });
        const expected = pack.patients.find((p) => p.nhsNumber === r.nhsNumber)!.expected[type]!;
        expect((r.body as Bundle).total).toBe(expected.total ?? expected.entry?.length ?? 0);
      }
    }
    expect(new Set(results.map((r) => r.correlationId)).size).toBe(results.length);
  });

  it('reports progress and lists pulls with NHS numbers masked', async () => {
    const summary = await request(platform.app).get('/_harness/pulls/summary?clientId=ref-documents').expect(200);
    expect(summary.body).toMatchObject({ pending: 0, done: eligible.length, failed: 0, total: eligible.length });
    const list = await request(platform.app)
      .get('/_harness/pulls?clientId=ref-appointments&limit=5&include=body')
      .expect(200);
    expect(list.body.count).toBe(5);
    for (const n of eligible.map((p) => p.nhsNumber)) expect(list.text).not.toContain(n);
    expect(list.body.pulls[0].nhsNumber).toMatch(/^999\*{6}\d$/);
    expect(list.body.pulls[0].body.resourceType).toBe('Bundle');
    const one = eligible[0]!.nhsNumber;
    const filtered = await request(platform.app).get(`/_harness/pulls?nhsNumber=${one}`).expect(200);
    expect(filtered.body.count).toBe(2);
    await request(platform.app).get('/_harness/pulls?since=yesterday').expect(400);
  });

  it("answers /aggregator/events with both suppliers' data for a patient both hold", async () => {
    const patient = pack.patients.find((p) => p.scenario === 'booked outpatient, face to face')!;
    const res = await request(platform.app)
      .get(events(patient.nhsNumber))
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken(platform, patient))
      .set('X-Correlation-ID', 'e2e-1');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as Bundle;
    expect(validatePayload('aggregator-bundle', body).diagnostics).toEqual([]);
    expect(body.id).toBe('e2e-1');
    const plan = body.entry![0]!.resource as CarePlan;
    const bySource = plan
      .activity!.map((a) => {
        const d = a.detail as { kind: string; extension: Array<{ url: string; valueCode?: string }> };
        return `${d.extension.find((e) => e.url.endsWith('Extension-Client-id'))!.valueCode}:${d.kind}`;
      })
      .sort();
    expect(bySource).toEqual(['ref-appointments:Appointment', 'ref-documents:DocumentReference']);
    expect(platform.gauge.pending).toBe(0);
  });

  it('answers 200 with an empty body for a registered patient with nothing to show', async () => {
    const patient = pack.patients.find((p) => p.scenario === 'nothing to show')!;
    const res = await request(platform.app)
      .get(events(patient.nhsNumber))
      .set('Authorization', 'Bearer nhs-app')
      .set('NHSD-ID-Token', await idToken(platform, patient));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('serves health, the endpoint index and the effective config with secrets redacted', async () => {
    const health = await request(platform.app).get('/_harness/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', pending: { consumer: 0, pulls: 0 } });
    const index = await request(platform.app).get('/_harness').expect(200);
    expect(index.body.urls.tokenUrl).toBe(`${platform.url}/oauth2/token`);
    const cfg = await request(platform.app).get('/_harness/config').expect(200);
    expect(cfg.text).not.toContain(SUPPLIER_CLIENT.clientSecret);
    expect(cfg.text).not.toContain('appointments-api-key-01');
    const clients = cfg.body.platform.clients as Array<{
      clientId: string;
      endpoint: { auth: { clientSecret: string } };
    }>;
    expect(clients.map((c) => c.clientId)).toEqual(['ref-appointments', 'ref-documents']);
    expect(clients[0]!.endpoint.auth.clientSecret).toBe('[REDACTED]');
  });

  it('publishes the NHS login discovery document whose issuer the minted tokens carry', async () => {
    const res = await request(platform.app).get('/nhs-login/.well-known/openid-configuration').expect(200);
    expect(res.body.issuer).toBe(platform.urls().issuer);
    expect(res.body.jwks_uri).toBe(platform.urls().jwks);
  });
});

describe('onboarding rules', () => {
  let platform: Platform;
  let supplier: RunningServer;

  beforeEach(async () => {
    platform = createPlatform({ config: config(), pack, stateDir: ':memory:' });
    await platform.start(0);
    supplier = await listen(createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, ...SUPPLIER_CLIENT }));
  });

  afterEach(async () => {
    await platform.stop();
    await supplier.close();
  });

  const endpoint = () => ({
    url: supplier.url,
    auth: { type: 'client_credentials', tokenUrl: `${supplier.url}/oauth2/token`, ...SUPPLIER_CLIENT },
  });

  async function upload(clientId: string, apiKey: string) {
    const report = await uploadPack({
      recordsUrl: platform.urls().records,
      clientId,
      auth: { type: 'api-key', apiKey },
      pack,
      journal: ':memory:',
      profile: 'int',
    });
    expect(report.outcome).toBe('complete');
  }

  it('pulls nothing until a required contract pass is recorded, then pulls everyone registered', async () => {
    const put = await request(platform.app)
      .put('/_harness/clients/gated')
      .send({
        resourceType: 'Appointment',
        apiKey: 'gated-api-key-0001',
        requireContractPass: true,
        endpoint: endpoint(),
      })
      .expect(201);
    expect(put.body).toMatchObject({
      clientId: 'gated',
      apiKey: '[REDACTED]',
      contractPass: null,
      pulls: { enabled: false, reason: 'contract-checks-not-passed' },
    });
    expect(put.text).not.toContain(SUPPLIER_CLIENT.clientSecret);
    // The same view under `client`, for callers that read the envelope.
    expect(put.body.client).toEqual(Object.fromEntries(Object.entries(put.body).filter(([k]) => k !== 'client')));
    await upload('gated', 'gated-api-key-0001');
    expect(platform.scheduler.summary()).toMatchObject({ pending: 0, total: 0 });
    const listed = await request(platform.app).get('/_harness/clients/gated').expect(200);
    expect(listed.body.pulls).toMatchObject({ enabled: false, reason: 'contract-checks-not-passed' });

    const pass = await request(platform.app)
      .post('/_harness/clients/gated/contract-pass')
      .send({ suites: ['schema', 'rules'] })
      .expect(200);
    expect(pass.body).toMatchObject({
      clientId: 'gated',
      detail: { suites: ['schema', 'rules'] },
      scheduled: { queued: eligible.length },
    });
    await waitForPulls(platform, eligible.length);
    expect(platform.scheduler.summary()).toMatchObject({ done: eligible.length, failed: 0 });
    expect((await request(platform.app).get('/_harness/clients/gated')).body.pulls).toEqual({ enabled: true });
  });

  it('pulls patients already registered when a client gets its endpoint later, and records failures as failures', async () => {
    await request(platform.app)
      .put('/_harness/clients/late')
      .send({ resourceType: 'Task', apiKey: 'late-api-key-00001' })
      .expect(201);
    await upload('late', 'late-api-key-00001');
    expect(platform.scheduler.summary().total).toBe(0);
    // Wrong secret: every pull fails at the supplier's token endpoint.
    const wrong = { ...endpoint(), auth: { ...endpoint().auth, clientSecret: 'not-the-secret' } };
    await request(platform.app)
      .put('/_harness/clients/late')
      .send({ resourceType: 'Task', apiKey: 'late-api-key-00001', endpoint: wrong })
      .expect(200);
    await waitForPulls(platform, eligible.length);
    const s = platform.scheduler.summary();
    expect(s).toMatchObject({ done: 0, failed: eligible.length, byOutcome: { error: eligible.length } });
    expect(platform.scheduler.results()[0]!.message).toMatch(/token request .* answered 401/);
  });

  it('refuses a client that breaks the config schema, and a contract pass for an unknown client', async () => {
    const bad = await request(platform.app).put('/_harness/clients/x').send({ resourceType: 'Letter' }).expect(400);
    expect(bad.body.message).toMatch(/resourceType/);
    await request(platform.app).put('/_harness/clients/x').send({ clientId: 'y', resourceType: 'Task' }).expect(400);
    await request(platform.app).post('/_harness/clients/nobody/contract-pass').expect(404);
  });

  it('schedules pulls by hand, refusing a client it cannot pull from', async () => {
    await request(platform.app)
      .put('/_harness/clients/manual')
      .send({ resourceType: 'Appointment', endpoint: endpoint() })
      .expect(201);
    const patient = eligible[0]!;
    const ok = await request(platform.app)
      .post('/_harness/pulls')
      .send({ clientId: 'manual', nhsNumbers: [patient.nhsNumber] })
      .expect(202);
    expect(ok.body.queued).toBe(1);
    await waitForPulls(platform, 1);
    expect(platform.scheduler.results({ nhsNumber: patient.nhsNumber })[0]).toMatchObject({
      outcome: 'ok',
      clientId: 'manual',
    });
    await request(platform.app).put('/_harness/clients/no-endpoint').send({ resourceType: 'Appointment' }).expect(201);
    const refused = await request(platform.app)
      .post('/_harness/pulls')
      .send({ clientId: 'no-endpoint', nhsNumbers: [patient.nhsNumber] })
      .expect(409);
    expect(refused.body.error).toBe('no-supplier-endpoint');
    await request(platform.app)
      .post('/_harness/pulls')
      .send({ clientId: 'manual', nhsNumbers: ['9990000010'] })
      .expect(400);
  });
});

describe('state directory', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pca-platform-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps contract passes and pulls across restarts, and takes passes `check` left in contract-pass.json', async () => {
    writeFileSync(
      path.join(dir, 'contract-pass.json'),
      JSON.stringify({
        passes: [
          {
            clientId: 'offline-checked',
            passedAt: '2025-02-01T10:00:00.000Z',
            supplierUrl: 'http://127.0.0.1:8080',
            summary: { pass: 40, skip: 2, total: 42 },
          },
        ],
      }),
    );
    const first = createPlatform({ config: config(), pack, stateDir: dir });
    expect(first.passes.get('offline-checked')).toMatchObject({
      passedAt: '2025-02-01T10:00:00.000Z',
      detail: { supplier: 'http://127.0.0.1:8080', from: 'contract-pass.json' },
    });
    first.passes.record('live-checked', new Date('2025-03-01T00:00:00Z'));
    first.clients.upsert({
      clientId: 'c',
      resourceType: 'Appointment',
      endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'static', token: 't' } },
    });
    first.scheduler.schedule('c', [eligible[0]!.nhsNumber]);
    await first.scheduler.idle();
    await first.stop();

    const second = createPlatform({ config: config(), pack, stateDir: dir });
    expect(second.passes.has('live-checked')).toBe(true);
    expect(second.passes.has('offline-checked')).toBe(true);
    expect(second.scheduler.results()).toEqual([expect.objectContaining({ clientId: 'c', outcome: 'error' })]);
    await second.stop();
  });
});

describe('one platform per state directory', () => {
  it('refuses a second platform on the same state dir, naming the lock, until the first stops', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-platform-lock-'));
    try {
      const first = createPlatform({ config: config(), pack, stateDir: dir });
      expect(() => createPlatform({ config: config(), pack, stateDir: dir })).toThrow(
        new RegExp(
          `in use by pca-harness platform \\(pid ${process.pid}.*lock file ${path.join(dir, 'pca-harness.lock').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
        ),
      );
      await first.stop();
      const second = createPlatform({ config: config(), pack, stateDir: dir });
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
