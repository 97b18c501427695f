/**
 * Small helpers the contract tests share: deep copies to mutate, verdicts reduced to the
 * `pointer rule` pairs the tests assert exactly, and one known-good payload per kind built from our
 * own fixtures (never from the specification's files, so `npm test` needs nothing beside the repo).
 */
import type { SchemaVerdict } from '../core/schema';
import type { SchemaKind } from './schemas';
import { URLS } from './schemas/common';
import { operationOutcome } from '../core/fhir';
import { buildDefaultPack } from '../fixtures/default-pack';
import { ineligibility } from '../fixtures/pack';
import { RecordBuilder, SPECIALTIES, TRUSTS, type Trust, packUrls, stableUuid } from '../fixtures/resources';
import { AGGREGATOR_URLS } from './schemas/aggregator';

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** `["/entry/0/resource/status required", ...]`, sorted, so a test can assert the exact set. */
export function failures(v: SchemaVerdict): string[] {
  return v.diagnostics.map((d) => `${d.pointer} ${d.rule}`).sort();
}

/** Sets a value at a JSON pointer (creating nothing: the parent must exist). `undefined` deletes. */
export function setAt(doc: unknown, pointer: string, value: unknown): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) throw new Error('cannot replace the root');
  let node = doc as Record<string, unknown>;
  for (const p of parts) {
    const next = node[p];
    if (typeof next !== 'object' || next === null) throw new Error(`nothing at ${pointer} (stopped at "${p}")`);
    node = next as Record<string, unknown>;
  }
  if (!(last in node) && value === undefined) throw new Error(`nothing to delete at ${pointer}`);
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
}

/** A copy of `doc` with one change at `pointer`. */
export function mutated<T>(doc: T, pointer: string, value: unknown): T {
  const copy = clone(doc);
  setAt(copy, pointer, value);
  return copy;
}

/**
 * One change each to a valid base payload, and the exact `pointer rule` failures it must cause:
 * a removed required field, a changed enum value, a bad NHS number, a malformed date-time... Run on
 * our own bases in `npm test` and on the specification's examples in `npm run test:upstream`.
 */
export const MUTATIONS: Array<[kind: SchemaKind, what: string, pointer: string, value: unknown, expected: string[]]> = [
  // appointments
  [
    'appointments',
    'required field removed',
    '/entry/0/resource/status',
    undefined,
    ['/entry/0/resource/status required'],
  ],
  ['appointments', 'enum value changed', '/entry/0/resource/status', 'pending', ['/entry/0/resource/status enum']],
  [
    'appointments',
    'bad NHS number',
    '/entry/0/resource/participant/0/actor/identifier/value',
    '9000000018',
    ['/entry/0/resource/participant/0/actor/identifier/value format'],
  ],
  [
    'appointments',
    'malformed date-time',
    '/entry/0/resource/start',
    '2021-06-13 12:30',
    ['/entry/0/resource/start format'],
  ],
  [
    'appointments',
    'request status changed',
    '/entry/0/resource/extension/1/valueCode',
    'Pending',
    ['/entry/0/resource/extension/1/valueCode enum'],
  ],
  [
    'appointments',
    'priority changed',
    '/entry/0/resource/extension/0/valueCoding/code',
    'SOON',
    ['/entry/0/resource/extension/0/valueCoding/code enum'],
  ],
  [
    'appointments',
    'medium changed',
    '/entry/0/resource/extension/2/valueCode',
    'VIRTUAL',
    ['/entry/0/resource/extension contains', '/entry/0/resource/extension/2/valueCode enum'],
  ],
  [
    'appointments',
    'portal link not a URL',
    '/entry/0/resource/extension/3/valueUrl',
    'my portal',
    ['/entry/0/resource/extension contains', '/entry/0/resource/extension/3/valueUrl format'],
  ],
  ['appointments', 'total not an integer', '/total', '1', ['/total type']],
  ['appointments', 'bundle type changed', '/type', 'collection', ['/type const']],
  // documents
  [
    'documents',
    'required field removed',
    '/entry/0/resource/custodian',
    undefined,
    ['/entry/0/resource/custodian required'],
  ],
  [
    'documents',
    'read receipt changed',
    '/entry/0/resource/extension/0/valueCode',
    'Opened',
    ['/entry/0/resource/extension/0/valueCode enum'],
  ],
  ['documents', 'status changed', '/entry/0/resource/status', 'superseded', ['/entry/0/resource/status enum']],
  [
    'documents',
    'bad NHS number',
    '/entry/0/resource/subject/identifier/value',
    '9000000018',
    ['/entry/0/resource/subject/identifier/value format'],
  ],
  ['documents', 'malformed date-time', '/entry/0/resource/date', '13/06/2021', ['/entry/0/resource/date format']],
  [
    'documents',
    'not a PDF',
    '/entry/0/resource/content/0/attachment/contentType',
    'text/html',
    ['/entry/0/resource/content/0/attachment/contentType const'],
  ],
  // tasks
  ['tasks', 'required field removed', '/entry/0/resource/owner', undefined, ['/entry/0/resource/owner required']],
  ['tasks', 'status changed', '/entry/0/resource/status', 'draft', ['/entry/0/resource/status enum']],
  ['tasks', 'intent changed', '/entry/0/resource/intent', 'order', ['/entry/0/resource/intent const']],
  [
    'tasks',
    'questionnaire type system changed',
    '/entry/0/resource/reasonCode/coding/0/system',
    'https://example.org/types',
    ['/entry/0/resource/reasonCode/coding/0/system const'],
  ],
  [
    'tasks',
    'bad NHS number',
    '/entry/0/resource/for/identifier/value',
    '9000000018',
    ['/entry/0/resource/for/identifier/value format'],
  ],
  [
    'tasks',
    'a date where a date-time belongs',
    '/entry/0/resource/authoredOn',
    '2021-06-13',
    ['/entry/0/resource/authoredOn format'],
  ],
  // operation-outcome
  ['operation-outcome', 'required field removed', '/issue/0/severity', undefined, ['/issue/0/severity required']],
  ['operation-outcome', 'severity changed', '/issue/0/severity', 'critical', ['/issue/0/severity enum']],
  ['operation-outcome', 'no issues', '/issue', [], ['/issue minItems']],
  // records-request
  ['records-request', 'required field removed', '/clientId', undefined, ['/clientId required']],
  ['records-request', 'bad NHS number', '/nhsNumbers/0', '9000000018', ['/nhsNumbers/0 format']],
  [
    'records-request',
    'the spec\'s error example: "nhsNumbers[1]" with value "abc"',
    '/nhsNumbers/1',
    'abc',
    ['/nhsNumbers/1 pattern'],
  ],
  ['records-request', 'a leading zero', '/nhsNumbers/1', '0123456789', ['/nhsNumbers/1 pattern']],
  ['records-request', 'an empty list', '/nhsNumbers', [], ['/nhsNumbers minItems']],
  // records-success / records-error
  ['records-success', 'result changed', '/result', 'ok', ['/result const']],
  ['records-error', 'code changed', '/code', 'error.server', ['/code enum']],
  ['records-error', 'required field removed', '/code', undefined, ['/code required']],
  // aggregator-bundle
  [
    'aggregator-bundle',
    'required field removed',
    '/entry/1/resource/intent',
    undefined,
    ['/entry/1/resource/intent required'],
  ],
  [
    'aggregator-bundle',
    'care plan status changed',
    '/entry/1/resource/status',
    'draft',
    ['/entry/1/resource/status enum'],
  ],
  [
    'aggregator-bundle',
    'bad NHS number',
    '/entry/1/resource/subject/identifier/value',
    '9000000018',
    ['/entry/1/resource/subject/identifier/value format'],
  ],
  [
    'aggregator-bundle',
    'malformed date-time',
    '/entry/1/resource/activity/0/detail/scheduledPeriod/start',
    '2026-04-10',
    ['/entry/1/resource/activity/0/detail/scheduledPeriod/start format'],
  ],
  [
    'aggregator-bundle',
    "read receipt in the producer's spelling",
    '/entry/1/resource/activity/1/detail/extension/3/valueCode',
    'Unread',
    ['/entry/1/resource/activity/1/detail/extension/3/valueCode enum'],
  ],
  [
    'aggregator-bundle',
    'waiting-list start not a FHIR dateTime',
    '/entry/0/resource/period/start',
    '22/06/2022',
    ['/entry/0/resource/period/start format'],
  ],
  [
    'aggregator-bundle',
    'OperationOutcome with search mode match',
    '/entry/2/search/mode',
    'match',
    ['/entry/2/search/mode const'],
  ],
];

/** A JSON object; tests cast it to their own loose type to poke into it. */
export type JsonObject = Record<string, any>; // local only: test payloads are free-form JSON to poke into

/** The supplier's Record Service clientId in the bases (records request, aggregator Client-id). */
const PORTAL_CLIENT_ID = 'harness-portal-01';

/** The day the bases are built for: fixed, so every run builds the same payloads. */
const BASE_DAY = new Date(Date.UTC(2025, 5, 2));

/**
 * One valid payload per kind, built from our own fixtures (the pack's record builder and patients)
 * and the schemas' facts, shaped as the specification's examples are: the same elements at the same
 * JSON pointers (an appointment's extensions in the order priority, request status, consultation
 * medium, Portal-Link; three participants; one Task with a PathwayId basedOn; an aggregator bundle of
 * a waiting-list CarePlan, a CarePlan with an appointment and a letter, and an upstream
 * OperationOutcome). So every mutation test starts from a known-good payload and changes one thing.
 * `npm run test:upstream` runs the same mutations on the specification's own examples.
 */
export function validBases(): Record<SchemaKind, JsonObject> {
  const [first, second] = buildDefaultPack(BASE_DAY).patients.filter((p) => ineligibility(p, BASE_DAY) === undefined);
  const trust = TRUSTS.barnsley;
  const specialty = SPECIALTIES.dermatology;
  const b = new RecordBuilder(first!.nhsNumber, packUrls(), BASE_DAY);
  const appointment = b.appointment({
    key: 'base',
    trust,
    specialty,
    day: 11,
    at: '12:30',
    requestStatus: 'Pending Reschedule',
    medium: 'VIDEO_CONSULTATION',
    ubrn: true,
  });
  // As in the standard's example: the ODS-coded Location carries no display, and a video
  // consultation, which needs no place, still names one.
  delete appointment.participant[1]!.actor!.display;
  appointment.participant.push({ actor: { type: 'Location', display: trust.sites[0] }, status: 'accepted' });
  b.document({
    key: 'base',
    appointment,
    trust,
    specialty,
    letter: 'cancellation letter',
    readReceipt: 'Read',
    day: 1,
  });
  const task = b.questionnaire({ key: 'base', trust, specialty, status: 'requested', authoredDay: 1, appointment });
  task.basedOn = [{ type: 'CarePlan', identifier: { system: URLS.pathwayId, value: b.pathwayId(trust, 'base') } }];
  const bundles = b.bundles();
  return {
    appointments: bundles.Appointment,
    documents: bundles.DocumentReference,
    tasks: bundles.Task,
    'operation-outcome': operationOutcome('forbidden', 'UNDER_16_DENIED'),
    'records-request': { clientId: PORTAL_CLIENT_ID, nhsNumbers: [first!.nhsNumber, second!.nhsNumber] },
    'records-success': { result: 'success' },
    'records-error': {
      code: 'error.bad-request',
      data: '"nhsNumbers[1]" with value "abc" fails to match the required pattern: /^[1-9][0-9]{9}$/',
    },
    'aggregator-bundle': aggregatorBundle(first!.nhsNumber, appointment.id!),
  };
}

/** What the aggregator answers for one patient when one of two suppliers failed: 207, E-14 and E-20. */
function aggregatorBundle(nhsNumber: string, appointmentId: string): JsonObject {
  const portal = packUrls().portalBaseUrl;
  const clientId = PORTAL_CLIENT_ID;
  const performer = (t: Trust) => [
    { type: 'Organization', identifier: { system: URLS.ods, value: t.ods }, display: t.name },
  ];
  const carePlan = (rest: JsonObject): JsonObject => ({
    resourceType: 'CarePlan',
    meta: { profile: [AGGREGATOR_URLS.carePlanProfile] },
    status: 'active',
    intent: 'order',
    subject: { identifier: { system: URLS.nhsNumber, value: nhsNumber } },
    ...rest,
  });
  const waitingList = carePlan({
    identifier: [{ system: URLS.carePathwayId, value: `${TRUSTS.leeds.ods}~PW0000000001` }],
    title: SPECIALTIES.ophthalmology.name,
    period: {
      start: '2025-03-10',
      extension: [
        { url: AGGREGATOR_URLS.plannedWaitTime, valueDuration: { value: 18, unit: 'weeks' } },
        { url: AGGREGATOR_URLS.percentile80WaitTime, valueDuration: { value: 21, unit: 'weeks' } },
      ],
    },
    author: {
      type: 'Organization',
      identifier: { system: URLS.ods, value: TRUSTS.leeds.ods },
      display: TRUSTS.leeds.name,
    },
  });
  const documentId = stableUuid(`${nhsNumber}/base-letter`);
  const activities = carePlan({
    activity: [
      {
        detail: {
          id: appointmentId,
          kind: 'Appointment',
          status: 'in-progress',
          extension: [
            { url: URLS.portalLink, valueUrl: `${portal}/Appointment/${appointmentId}` },
            { url: AGGREGATOR_URLS.clientId, valueCode: clientId },
            {
              url: AGGREGATOR_URLS.appointmentStatus,
              valueCoding: { system: AGGREGATOR_URLS.appointmentStatusSystem, code: 'booked' },
            },
            { url: URLS.consultationMedium, valueCode: 'FACE_TO_FACE' },
            { url: AGGREGATOR_URLS.encounterClass, valueCode: 'outpatient' },
          ],
          description: SPECIALTIES.dermatology.name,
          scheduledPeriod: { start: '2025-06-13T12:30:00.000Z' },
          location: { type: 'Location', display: TRUSTS.barnsley.sites[0] },
          performer: performer(TRUSTS.barnsley),
        },
      },
      {
        detail: {
          id: documentId,
          kind: 'DocumentReference',
          status: 'in-progress',
          extension: [
            { url: URLS.portalLink, valueUrl: `${portal}/Document/${documentId}` },
            { url: AGGREGATOR_URLS.clientId, valueCode: clientId },
            { url: AGGREGATOR_URLS.linkedResource, valueReference: { reference: `Appointment/${appointmentId}` } },
            { url: AGGREGATOR_URLS.readReceipt, valueCode: 'unread' },
          ],
          description: `${SPECIALTIES.dermatology.name} appointment letter`,
          scheduledPeriod: { start: '2025-06-01T09:00:00.000Z' },
          performer: performer(TRUSTS.barnsley),
        },
      },
    ],
  });
  const upstream = {
    resourceType: 'OperationOutcome',
    meta: { profile: [AGGREGATOR_URLS.operationOutcomeProfile] },
    issue: [
      {
        severity: 'error',
        code: 'timeout',
        extension: [{ url: URLS.errorSource, valueCode: 'harness-portal-02' }],
        diagnostics: 'Supplier did not answer within 9 seconds',
      },
    ],
  };
  const base = 'https://aggregator.example.nhs.uk';
  return {
    resourceType: 'Bundle',
    meta: { profile: [AGGREGATOR_URLS.bundleProfile] },
    type: 'searchset',
    total: 3,
    entry: [
      {
        fullUrl: `${base}/CarePlan/${stableUuid(`${nhsNumber}/waiting-list`)}`,
        search: { mode: 'match' },
        resource: waitingList,
      },
      {
        fullUrl: `${base}/CarePlan/${stableUuid(`${nhsNumber}/activities`)}`,
        search: { mode: 'match' },
        resource: activities,
      },
      {
        fullUrl: `${base}/OperationOutcome/${stableUuid(`${nhsNumber}/upstream`)}`,
        search: { mode: 'include' },
        resource: upstream,
      },
    ],
  };
}
