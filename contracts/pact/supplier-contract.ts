/**
 * The contract between the PCA (consumer) and a supplier's producer API (provider), as data: one
 * entry per interaction, each naming the provider state it needs. The consumer test turns these into
 * a pact; the verifier's state handlers and request filter read the same names.
 *
 * Bodies assert only what this consumer uses (pact-js's advice): the searchset shape and, per entry,
 * the type, id, status and the fields the aggregator turns into the NHS App's CarePlan (portal links,
 * consultation medium, dates, participants). Everything else a supplier sends is theirs to choose;
 * the JSON Schema suite (`pca-harness check --suites schema`) judges it against the standard.
 */
import { MatchersV3 as M, type V3Request, type V3Response } from '@pact-foundation/pact';
import { PCA_URLS, type ProducerResourceType } from '../../core/fhir';
import { INVALID_IDENTIFIER, NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import { APPOINTMENT_STATUSES, CONSULTATION_MEDIUM_CODES, TASK_STATUSES } from '../schemas/common';
import {
  EXAMPLE_CORRELATION_ID,
  EXAMPLE_NHS_NUMBER,
  FHIR_DATETIME_PATTERN,
  HTTPS_URL_PATTERN,
  PATIENT_IDENTIFIER_PATTERN,
  fromStateMatching,
  headerMatchers,
  oneOf,
} from './contract';

/** Provider states, by their exact text (the keys of a supplier's state handlers). */
export const SUPPLIER_STATES = {
  withAppointments: 'a patient with appointments',
  withDocuments: 'a patient with documents',
  withTasks: 'a patient with tasks',
  withNothing: 'a patient with nothing to show',
  under16: 'a patient under 16',
} as const;
export type SupplierState = (typeof SUPPLIER_STATES)[keyof typeof SUPPLIER_STATES];
export const SUPPLIER_STATE_NAMES: readonly SupplierState[] = Object.values(SUPPLIER_STATES);

export function isSupplierState(v: string): v is SupplierState {
  return (SUPPLIER_STATE_NAMES as readonly string[]).includes(v);
}

/**
 * State parameter telling the verifier which ID token to present. The supplier sets up the same
 * patient either way; only the token differs, so it may ignore the parameter.
 */
export const ID_TOKEN_PARAM = 'idTokenFor';
export const ANOTHER_PATIENT = 'another patient';

/** The expression the verifier fills with the state's NHS number. */
export const IDENTIFIER_EXPRESSION = `${NHS_NUMBER_SYSTEM}|\${nhsNumber}`;

/** What the conformance probes send as an invalid identifier (eight digits: invalid under any reading). */
export const INVALID_PATIENT_IDENTIFIER = INVALID_IDENTIFIER;

export type InteractionKey =
  | 'appointments'
  | 'documents'
  | 'tasks'
  | 'no-appointments'
  | 'no-documents'
  | 'no-tasks'
  | 'missing-identifier'
  | 'invalid-identifier'
  | 'no-bearer'
  | 'under-16'
  | 'other-patients-token';

export interface SupplierInteraction {
  key: InteractionKey;
  description: string;
  state: SupplierState;
  params?: Record<string, string>;
  resourceType: ProducerResourceType;
  /** How `patient:identifier` is sent: the state's NHS number, none, or an invalid one. */
  identifier: 'from-state' | 'missing' | 'invalid';
  /** Whether the request carries an OAuth bearer token. */
  bearer: boolean;
  status: number;
  body: unknown;
}

const PATHS: Record<ProducerResourceType, string> = {
  Appointment: '/Appointment',
  DocumentReference: '/DocumentReference',
  Task: '/Task',
};

export function contractPath(type: ProducerResourceType): string {
  return PATHS[type];
}

// Inside eachLike Pact matches by type, so literals that must be equal are wrapped in M.equal.
const appointmentEntry = {
  resource: {
    resourceType: M.equal('Appointment'),
    id: M.string('example-appointment-id'),
    status: M.regex(oneOf(APPOINTMENT_STATUSES), 'booked'),
    start: M.regex(FHIR_DATETIME_PATTERN, '2025-01-29T10:30:00+00:00'),
    // The aggregator reads the Location participants for the trust and the building.
    participant: M.eachLike({ actor: { type: M.string('Location') } }),
    extension: M.arrayContaining(
      {
        url: M.equal(PCA_URLS.portalLink),
        valueUrl: M.regex(HTTPS_URL_PATTERN, 'https://portal.example.nhs.uk/Appointment/example-appointment-id'),
      },
      {
        url: M.equal(PCA_URLS.consultationMedium),
        valueCode: M.regex(oneOf(CONSULTATION_MEDIUM_CODES), 'FACE_TO_FACE'),
      },
    ),
  },
};

const documentEntry = {
  resource: {
    resourceType: M.equal('DocumentReference'),
    id: M.string('example-document-id'),
    status: M.equal('current'),
    // The portal link of a document is its attachment URL.
    content: M.eachLike({
      attachment: { url: M.regex(HTTPS_URL_PATTERN, 'https://portal.example.nhs.uk/Document/example-document-id') },
    }),
  },
};

const taskEntry = {
  resource: {
    resourceType: M.equal('Task'),
    id: M.string('example-task-id'),
    status: M.regex(oneOf(TASK_STATUSES), 'requested'),
    // The portal link of a questionnaire.
    reasonReference: {
      reference: M.regex(HTTPS_URL_PATTERN, 'https://portal.example.nhs.uk/Questionnaire/example-task-id'),
    },
  },
};

const ENTRY: Record<ProducerResourceType, unknown> = {
  Appointment: appointmentEntry,
  DocumentReference: documentEntry,
  Task: taskEntry,
};

function bundleWithEntries(type: ProducerResourceType): unknown {
  return { resourceType: 'Bundle', type: 'searchset', total: M.integer(1), entry: M.eachLike(ENTRY[type], 1) };
}

/** WF-NFR-07: no data is a 200 with an empty searchset, never an empty body or a 404. */
const EMPTY_BUNDLE = { resourceType: 'Bundle', type: 'searchset', total: 0 };

/** The standard's error tables disagree on codes between table and example, so only the shape is pinned. */
const OPERATION_OUTCOME = {
  resourceType: 'OperationOutcome',
  issue: M.eachLike({ severity: M.equal('error'), code: M.string('exception') }),
};
/** Under 16 is the one error whose code and diagnostics the consumer API relies on. */
const UNDER_16_OUTCOME = {
  resourceType: 'OperationOutcome',
  issue: M.eachLike({
    severity: M.equal('error'),
    code: M.equal('forbidden'),
    diagnostics: M.equal('UNDER_16_DENIED'),
  }),
};

const WITH_DATA: Record<ProducerResourceType, { key: InteractionKey; noun: string; state: SupplierState }> = {
  Appointment: { key: 'appointments', noun: 'appointments', state: SUPPLIER_STATES.withAppointments },
  DocumentReference: { key: 'documents', noun: 'documents', state: SUPPLIER_STATES.withDocuments },
  Task: { key: 'tasks', noun: 'tasks', state: SUPPLIER_STATES.withTasks },
};
const WITHOUT_DATA: Record<ProducerResourceType, InteractionKey> = {
  Appointment: 'no-appointments',
  DocumentReference: 'no-documents',
  Task: 'no-tasks',
};

const TYPES: readonly ProducerResourceType[] = ['Appointment', 'DocumentReference', 'Task'];

export const SUPPLIER_INTERACTIONS: readonly SupplierInteraction[] = [
  ...TYPES.map((t): SupplierInteraction => ({
    key: WITH_DATA[t].key,
    description: `a request for the ${WITH_DATA[t].noun} of a patient who has some`,
    state: WITH_DATA[t].state,
    resourceType: t,
    identifier: 'from-state',
    bearer: true,
    status: 200,
    body: bundleWithEntries(t),
  })),
  ...TYPES.map((t): SupplierInteraction => ({
    key: WITHOUT_DATA[t],
    description: `a request for the ${WITH_DATA[t].noun} of a patient with nothing to show`,
    state: SUPPLIER_STATES.withNothing,
    resourceType: t,
    identifier: 'from-state',
    bearer: true,
    status: 200,
    body: EMPTY_BUNDLE,
  })),
  {
    key: 'missing-identifier',
    description: 'a request for appointments without patient:identifier',
    state: SUPPLIER_STATES.withAppointments,
    resourceType: 'Appointment',
    identifier: 'missing',
    bearer: true,
    status: 400,
    body: OPERATION_OUTCOME,
  },
  {
    key: 'invalid-identifier',
    description: 'a request for appointments with an invalid patient:identifier',
    state: SUPPLIER_STATES.withAppointments,
    resourceType: 'Appointment',
    identifier: 'invalid',
    bearer: true,
    status: 400,
    body: OPERATION_OUTCOME,
  },
  {
    key: 'no-bearer',
    description: 'a request for appointments without an OAuth access token',
    state: SUPPLIER_STATES.withAppointments,
    resourceType: 'Appointment',
    identifier: 'from-state',
    bearer: false,
    status: 401,
    body: OPERATION_OUTCOME,
  },
  {
    key: 'under-16',
    description: 'a request for the appointments of a patient under 16',
    state: SUPPLIER_STATES.under16,
    resourceType: 'Appointment',
    identifier: 'from-state',
    bearer: true,
    status: 403,
    body: UNDER_16_OUTCOME,
  },
  {
    key: 'other-patients-token',
    description: 'a request for appointments with the NHS login ID token of another patient',
    state: SUPPLIER_STATES.withAppointments,
    params: { [ID_TOKEN_PARAM]: ANOTHER_PATIENT },
    resourceType: 'Appointment',
    identifier: 'from-state',
    bearer: true,
    status: 401,
    body: OPERATION_OUTCOME,
  },
];

export function supplierRequest(i: SupplierInteraction): V3Request {
  const query =
    i.identifier === 'missing'
      ? undefined
      : {
          'patient:identifier':
            i.identifier === 'invalid'
              ? INVALID_PATIENT_IDENTIFIER
              : fromStateMatching(
                  PATIENT_IDENTIFIER_PATTERN,
                  IDENTIFIER_EXPRESSION,
                  `${NHS_NUMBER_SYSTEM}|${EXAMPLE_NHS_NUMBER}`,
                ),
        };
  return {
    method: 'GET',
    path: contractPath(i.resourceType),
    ...(query ? { query } : {}),
    headers: {
      ...(i.bearer ? { Authorization: headerMatchers.bearer() } : {}),
      'NHSD-ID-Token': headerMatchers.idToken(),
      'X-Correlation-ID': headerMatchers.correlationId(),
    },
  };
}

export function supplierResponse(i: SupplierInteraction): V3Response {
  return {
    status: i.status,
    headers: {
      'Content-Type': headerMatchers.fhirJson(),
      // Not a matcher: the verifier sends the example id, so an echo is that exact value.
      'X-Correlation-ID': EXAMPLE_CORRELATION_ID,
    },
    body: i.body,
  };
}
