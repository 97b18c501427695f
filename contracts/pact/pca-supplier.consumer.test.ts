/**
 * Consumer side of the PCA -> PCA-Supplier contract. Each interaction is exercised by the code that
 * really sends it: the aggregator's pull client (mocks/aggregator/upstream.ts callSupplier) for what
 * the PCA sends in production, and the conformance probes (suites/checks/probes.ts) for the
 * deliberately bad requests the standard's error tables describe. Tokens are real: an NHS login
 * mock mints the ID tokens, so the JWT matcher is tested against what the harness actually sends.
 */
import { randomUUID } from 'node:crypto';
import { type Bundle, isOperationOutcome, PCA_URLS, type ProducerResourceType } from '../../core/fhir';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { PackIndex, type PackPatient } from '../../fixtures/pack';
import { activitiesFrom } from '../../mocks/aggregator/care-plan';
import {
  BearerTokenCache,
  callSupplier,
  type ProducerBundleValidator,
  type UpstreamOutcome,
} from '../../mocks/aggregator/upstream';
import { createNhsLoginApp, NHS_LOGIN_MOUNT } from '../../mocks/nhs-login/app';
import type { CheckContext, Credentials, IdTokenKind } from '../../suites/checks/check';
import { buildRequest, type ProbeSpec } from '../../suites/checks/probes';
import { createCredentials } from '../../suites/access/credentials';
import { chooseRoster } from '../../suites/checks/roster';
import { httpTransport } from '../../suites/access/transport';
import { PCA, PCA_SUPPLIER } from './contract';
import { consumerPactSession, firstDifference, updateRequested, UPDATE_ENV } from './consumer-support';
import { type InteractionKey, SUPPLIER_INTERACTIONS, supplierRequest, supplierResponse } from './supplier-contract';

const ON = new Date('2025-01-15T00:00:00Z');
const pack = buildDefaultPack(ON);
const index = new PackIndex(pack);
const roster = chooseRoster(pack, ON);
const CLIENT_ID = 'pep-01';
const ACCESS_TOKEN = 'consumer-test-access-token';

function patient(p: PackPatient | undefined, what: string): PackPatient {
  if (!p) throw new Error(`the default pack has no patient ${what}`);
  return p;
}
const withAppointments = patient(roster.withData.Appointment, 'with appointments');
const withDocuments = patient(roster.withData.DocumentReference, 'with documents');
const withTasks = patient(roster.withData.Task, 'with tasks');
const withNothing = patient(roster.withNothing, 'with nothing');
const under16 = patient(roster.under16, 'under 16');
const other = patient(roster.other(withAppointments), 'other than the one with appointments');

/**
 * Schema conformance is the JSON Schema suite's job, and the pact pins only what the aggregator
 * reads, so the mock's minimal bodies would fail the full schema by design. This validator accepts
 * every body; what the aggregator makes of it is asserted below through activitiesFrom.
 */
const acceptEveryBody: ProducerBundleValidator = () => ({ valid: true, diagnostics: [] });

const session = consumerPactSession(PCA, PCA_SUPPLIER);
let nhsLogin: RunningServer;
let credentials: Credentials;

beforeAll(async () => {
  let issuer = '';
  nhsLogin = await listen(
    createNhsLoginApp({
      keyRing: new KeyRing(),
      issuer: () => issuer,
      patients: (n) => {
        const p = index.get(n);
        return p ? { birthDate: p.birthDate, familyName: p.name.family } : undefined;
      },
    }),
  );
  issuer = `${nhsLogin.url}${NHS_LOGIN_MOUNT}`;
  credentials = createCredentials({ access: { kind: 'bearer', token: ACCESS_TOKEN }, nhsLogin: { url: issuer } });
});

afterAll(async () => {
  await nhsLogin?.close();
  session.cleanup();
});

async function idToken(p: PackPatient, kind: IdTokenKind = 'valid', otherPatient?: PackPatient): Promise<string> {
  if (kind === 'none') throw new Error('no token wanted');
  const minted = await credentials.idToken({ kind, patient: p, other: otherPatient });
  if ('unavailable' in minted) throw new Error(minted.unavailable);
  return minted.token;
}

/** The aggregator's single GET of a producer endpoint, as a pull or a consumer fan-out makes it. */
async function pull(
  baseUrl: string,
  type: ProducerResourceType,
  p: PackPatient,
  token: string,
): Promise<UpstreamOutcome> {
  return callSupplier(
    {
      endpoint: { url: baseUrl, auth: { type: 'static', token: ACCESS_TOKEN } },
      resourceType: type,
      nhsNumber: p.nhsNumber,
      idToken: token,
      correlationId: randomUUID(),
    },
    new BearerTokenCache(),
    acceptEveryBody,
  );
}

function okBundle(outcome: UpstreamOutcome): Bundle {
  if (outcome.kind !== 'ok')
    throw new Error(`expected a usable bundle, got ${outcome.kind}: ${JSON.stringify(outcome)}`);
  return outcome.bundle;
}

function extensionUrls(detail: Record<string, unknown>): string[] {
  return ((detail.extension ?? []) as Array<{ url: string }>).map((e) => e.url);
}

/** The conformance probes' request, made through the checks' own HTTP transport. */
async function probeRequest(
  baseUrl: string,
  spec: Omit<ProbeSpec, 'label' | 'patient'>,
): Promise<{ status: number; json?: unknown }> {
  const ctx: CheckContext = {
    transport: httpTransport(),
    endpoints: { Appointment: `${baseUrl}/Appointment` },
    credentials,
    pack: index,
    roster,
    clock: { now: () => ON },
    includeThrottle: false,
    memo: new Map(),
  };
  const req = await buildRequest(ctx, 'Appointment', { label: 'pact', patient: withAppointments, ...spec });
  if ('unavailable' in req) throw new Error(req.unavailable);
  return ctx.transport(req);
}

async function withData(
  baseUrl: string,
  type: ProducerResourceType,
  p: PackPatient,
  link: (d: Record<string, unknown>) => boolean,
): Promise<void> {
  const bundle = okBundle(await pull(baseUrl, type, p, await idToken(p)));
  expect(bundle.total).toBe(1);
  const activities = activitiesFrom(bundle, CLIENT_ID);
  expect(activities).toHaveLength(1);
  expect(link(activities[0]!.detail ?? {})).toBe(true);
}

async function nothing(baseUrl: string, type: ProducerResourceType): Promise<void> {
  const bundle = okBundle(await pull(baseUrl, type, withNothing, await idToken(withNothing)));
  expect(bundle.total).toBe(0);
  expect(activitiesFrom(bundle, CLIENT_ID)).toEqual([]);
}

const EXERCISE: Record<InteractionKey, (baseUrl: string) => Promise<void>> = {
  appointments: (url) =>
    withData(url, 'Appointment', withAppointments, (d) => {
      // Every field the contract pins ends up in the NHS App's view of the appointment.
      expect(extensionUrls(d)).toEqual(expect.arrayContaining([PCA_URLS.portalLink, PCA_URLS.consultationMedium]));
      return d.kind === 'Appointment' && typeof (d.scheduledPeriod as { start?: unknown }).start === 'string';
    }),
  documents: (url) =>
    withData(
      url,
      'DocumentReference',
      withDocuments,
      (d) => d.kind === 'DocumentReference' && extensionUrls(d).includes(PCA_URLS.portalLink),
    ),
  tasks: (url) =>
    withData(
      url,
      'Task',
      withTasks,
      (d) =>
        d.kind === 'QuestionnaireResponse' &&
        d.status === 'not-started' &&
        extensionUrls(d).includes(PCA_URLS.portalLink),
    ),
  'no-appointments': (url) => nothing(url, 'Appointment'),
  'no-documents': (url) => nothing(url, 'DocumentReference'),
  'no-tasks': (url) => nothing(url, 'Task'),
  'missing-identifier': async (url) => {
    const res = await probeRequest(url, { identifier: 'missing' });
    expect(res.status).toBe(400);
    expect(isOperationOutcome(res.json)).toBe(true);
  },
  'invalid-identifier': async (url) => {
    const res = await probeRequest(url, { identifier: 'invalid' });
    expect(res.status).toBe(400);
    expect(isOperationOutcome(res.json)).toBe(true);
  },
  'no-bearer': async (url) => {
    const res = await probeRequest(url, { access: 'none' });
    expect(res.status).toBe(401);
    expect(isOperationOutcome(res.json)).toBe(true);
  },
  'under-16': async (url) => {
    const outcome = await pull(url, 'Appointment', under16, await idToken(under16));
    expect(outcome).toMatchObject({
      kind: 'http-error',
      status: 403,
      body: { issue: [{ code: 'forbidden', diagnostics: 'UNDER_16_DENIED' }] },
    });
  },
  'other-patients-token': async (url) => {
    const outcome = await pull(
      url,
      'Appointment',
      withAppointments,
      await idToken(withAppointments, 'other-patient', other),
    );
    expect(outcome).toMatchObject({ kind: 'http-error', status: 401, body: { resourceType: 'OperationOutcome' } });
  },
};

describe('PCA -> PCA-Supplier (consumer)', () => {
  for (const interaction of SUPPLIER_INTERACTIONS) {
    it(interaction.description, async () => {
      session.pact.addInteraction({
        states: [{ description: interaction.state, ...(interaction.params ? { parameters: interaction.params } : {}) }],
        uponReceiving: interaction.description,
        withRequest: supplierRequest(interaction),
        willRespondWith: supplierResponse(interaction),
      });
      await session.pact.executeTest((mock) => EXERCISE[interaction.key](mock.url));
    });
  }

  it('regenerates the committed pact byte for byte (after normalising)', () => {
    const generated = session.generated();
    if (updateRequested()) session.update();
    const committed = session.committed();
    if (committed === undefined)
      throw new Error(
        `${session.committedPath} is missing: run \`npm run pact:update\` (${UPDATE_ENV}=1) and commit it`,
      );
    const diff = firstDifference(generated, committed);
    if (diff)
      throw new Error(
        `the PCA -> PCA-Supplier contract changed; if that is intended, run \`npm run pact:update\` and commit ${session.committedPath}.\nFirst difference at ${diff}`,
      );
    expect(generated).toBe(committed);
  });
});
