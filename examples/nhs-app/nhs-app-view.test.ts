/**
 * The NHS App's view of the default pack: what a team building on the consumer side sees when its
 * app (or its test) calls the mock PCA's consumer API, `GET /aggregator/events`, for the pack's
 * patients. The mock platform fans out to a reference supplier for the suppliers' records, and to
 * its simulated waiting-list and e-RS sources, then applies the aggregator's business rules.
 *
 *   npx jest examples/nhs-app            (PRINT=1 to print the App's view of each patient)
 *
 * Read it as a template for your own consumer-side tests: start the platform in-process, onboard a
 * supplier, register the patients, and call the consumer API with the API platform's bearer and an
 * NHS login ID token from the platform's NHS login mock.
 */
import request from 'supertest';
import { DEFAULT_CONFIG, type HarnessConfig } from '../../core/config';
import type { Bundle, CarePlan, OperationOutcome } from '../../core/fhir';
import { listen, type RunningServer } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { PackPatient } from '../../fixtures/pack';
import { createPlatform, type Platform } from '../../mocks/platform';
import { createSupplierApp } from '../../mocks/supplier/app';
import { uploadPack } from '../../mocks/supplier/upload';

const pack = buildDefaultPack(new Date());
const patient = (scenario: string): PackPatient => pack.patients.find((p) => p.scenario === scenario)!;
const SUPPLIER_CLIENT = { clientId: 'pca-aggregator', clientSecret: 'example-secret' };

/** One line per thing the App would show, as a person reads the screen. */
function nhsAppView(status: number, text: string): string[] {
  if (text === '') return [`HTTP ${status}: nothing to show`];
  const body = JSON.parse(text) as Bundle | OperationOutcome;
  if (body.resourceType === 'OperationOutcome') return [`HTTP ${status}: ${body.issue[0]?.diagnostics ?? ''}`];
  const lines = [`HTTP ${status}`];
  for (const { resource } of body.entry ?? []) {
    if (resource.resourceType === 'CarePlan') {
      const plan = resource as CarePlan;
      if (plan.identifier) {
        const waits = (plan.period?.extension ?? [])
          .map((e) => `${e.url.endsWith('PlannedWaitTime') ? 'planned' : '80% within'} ${e.valueDuration?.value} weeks`)
          .join(', ');
        lines.push(
          `waiting list: ${plan.title} at ${plan.author?.display} since ${plan.period?.start}${waits ? ` (${waits})` : ''}`,
        );
      }
      for (const a of plan.activity ?? []) {
        const d = a.detail as { kind: string; status: string; description: string };
        lines.push(`  ${d.kind}: ${d.description} (${d.status})`);
      }
    } else if (resource.resourceType === 'OperationOutcome') {
      for (const i of (resource as OperationOutcome).issue) lines.push(`note (${i.severity}): ${i.diagnostics}`);
    }
  }
  return lines;
}

describe("the NHS App's view of the default pack", () => {
  let platform: Platform;
  let supplier: RunningServer;

  beforeAll(async () => {
    const config: HarnessConfig = { ...DEFAULT_CONFIG, platform: { ...DEFAULT_CONFIG.platform } };
    platform = createPlatform({ config, pack, stateDir: ':memory:' });
    await platform.start(0, '127.0.0.1');
    supplier = await listen(createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, ...SUPPLIER_CLIENT }));
    // One supplier system behind three clientIds, one per resource type, as a portal onboards.
    for (const [clientId, resourceType] of [
      ['portal-appointments', 'Appointment'],
      ['portal-documents', 'DocumentReference'],
      ['portal-questionnaires', 'Task'],
    ] as const) {
      const apiKey = `${clientId}-api-key`;
      await request(platform.app)
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
      const upload = await uploadPack({
        recordsUrl: platform.urls().records,
        clientId,
        auth: { type: 'api-key', apiKey },
        pack,
        journal: ':memory:',
        profile: 'int',
      });
      expect(upload.outcome).toBe('complete');
    }
  });

  afterAll(async () => {
    await platform.stop();
    await supplier.close();
  });

  /** What the NHS App does: an ID token from NHS login, the API platform's bearer, one GET. */
  async function openApp(p: PackPatient, prefer?: string): Promise<string[]> {
    const token = await request(platform.app)
      .post('/nhs-login/_harness/id-token')
      .send({ nhsNumber: p.nhsNumber })
      .expect(200);
    let call = request(platform.app)
      .get(`/aggregator/events?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|${p.nhsNumber}`)
      .set('Authorization', 'Bearer nhs-app-example')
      .set('NHSD-ID-Token', token.body.id_token as string);
    if (prefer) call = call.set('Prefer', prefer);
    const res = await call;
    const view = nhsAppView(res.status, res.text);
    if (process.env.PRINT) console.log(`${p.scenario}\n  ${view.join('\n  ')}`);
    return view;
  }

  it('a booked appointment with its letter and survey', async () => {
    const view = await openApp(patient('booked outpatient, face to face'));
    expect(view[0]).toBe('HTTP 200');
    expect(view.filter((l) => l.startsWith('  '))).toHaveLength(3);
  });

  it('waiting lists with their wait times, a PIFU questionnaire, and an e-RS referral', async () => {
    const view = await openApp(patient('waiting lists and a referral'));
    expect(view).toEqual([
      'HTTP 200',
      expect.stringMatching(/^ {2}ServiceRequest: ENT - .* \(in-progress\)$/),
      expect.stringMatching(/^waiting list: Ophthalmology at .* \(planned 22 weeks, 80% within 25 weeks\)$/),
      expect.stringMatching(/^waiting list: Trauma and orthopaedics at .* \(planned 54 weeks\)$/),
      '  QuestionnaireResponse: Trauma and orthopaedics (not-started)',
    ]);
  });

  it('AGGBR30: a record over 8 years old is not shown, and the App is told why', async () => {
    const view = await openApp(patient('record over 8 years old'));
    expect(view.filter((l) => l.startsWith('  Appointment'))).toHaveLength(1);
    expect(view).toContainEqual(
      expect.stringMatching(
        /^note \(information\): AGGBR30: rejected Appointment \S+ with date .* over 8 years in the past$/,
      ),
    );
  });

  it('AGGBR34 and AGGBR23: an excluded PIFU source and an excluded waiting-list trust', async () => {
    const view = await openApp(patient('excluded waiting list and PIFU source'));
    expect(view.filter((l) => l.startsWith('waiting list:'))).toHaveLength(1);
    expect(view.filter((l) => l.startsWith('note'))).toEqual([
      'note (information): AGGBR34: rejected Task undefined from nhs-waiting-list-01 with orgCode TST due to ODS whitelist exclusion',
      'note (information): AGGBR23: excluding WaitingList entry with org code TST due to exclusion rule',
    ]);
  });

  it("AGGBR33: the portal's PIFU questionnaire wins over the waiting list's on the same pathway", async () => {
    const view = await openApp(patient('PIFU at the portal and on the waiting list'));
    expect(view).toContainEqual(expect.stringMatching(/^note \(information\): AGGBR33: questionnaire with pathwayId/));
    expect(view).toContainEqual('  QuestionnaireResponse: Gastroenterology (not-started)');
  });

  it('the under-16 is refused, and a steered request shows the App a timeout', async () => {
    expect(await openApp(patient('under 16'))).toEqual(['HTTP 403: UNDER_16_DENIED']);
    expect(await openApp(patient('booked outpatient, face to face'), 'code=504')).toEqual([
      'HTTP 504: The request did not complete within 10000 ms',
    ]);
  });
});
