/**
 * Building blocks shared by the payload schemas: FHIR datatypes as the PCA specifications use them,
 * NHS numbers, ODS codes and a builder for "extension array keyed by url". Plain JSON Schema
 * (draft-07, as core/schema.ts compiles it); `x-hint` / `x-message` are read by core/schema.ts.
 *
 * Decisions where the specifications contradict themselves are recorded in docs/spec-errata.md;
 * the `E-nn` tags in comments and hints point there.
 */
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';

export type JsonSchema = { [keyword: string]: unknown };

export const URLS = {
  nhsNumber: NHS_NUMBER_SYSTEM,
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  ubrn: 'https://fhir.nhs.uk/Id/UBRN',
  pathwayId: 'https://fhir.nhs.uk/Id/PathwayId',
  usrn: 'https://fhir.nhs.uk/Id/USRN',
  sdsUser: 'https://fhir.nhs.uk/Id/sds-user-id',
  ersService: 'https://fhir.nhs.uk/Id/ers-service',
  carePathwayId: 'https://fhir.nhs.uk/Id/care-pathway-id',
  priority: 'https://fhir.nhs.uk/StructureDefinition/Extension-ServiceRequest-Priority',
  ersPriority: 'https://fhir.nhs.uk/CodeSystem/eRS-Priority',
  requestStatus: 'https://fhir.nhs.uk/StructureDefinition/Extension-Appointment-RequestStatus',
  consultationMedium: 'https://fhir.nhs.uk/StructureDefinition/Extension-Consultation-Medium',
  portalLink: 'https://fhir.nhs.uk/StructureDefinition/Extension-Portal-Link',
  readReceipt: 'https://fhir.nhs.uk/StructureDefinition/Extension-Document-ReadReceipt',
  taskTreatmentFunction: 'https://fhir.nhs.uk/StructureDefinition/Extension-Task-TreatmentFunction',
  questionnaireTypeSystem: 'https://fhir.nhs.uk/StructureDefinition/Extension-Questionnaire-Type',
  specialty: 'https://fhir.nhs.uk/CodeSystem/Specialty-1',
  specialtyStu3: 'https://fhir.nhs.uk/STU3/CodeSystem/Specialty-1',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  errorSource: 'https://fhir.nhs.uk/StructureDefinition/ExtensionErrorSource',
} as const;

/** Enumerations the producer standard defines, exported so fixtures and checks use the same lists. */
export const APPOINTMENT_STATUSES = ['booked', 'fulfilled', 'cancelled', 'noshow'] as const;
export const PRIORITY_CODES = ['URGENT', 'ROUTINE', 'TWO_WEEK_WAIT'] as const;
export const REQUEST_STATUS_CODES = [
  'Pending Change',
  'Pending Reschedule',
  'Pending Cancellation',
  'Confirmed Attendance',
] as const;
export const CONSULTATION_MEDIUM_CODES = ['FACE_TO_FACE', 'VIDEO_CONSULTATION', 'TELEPHONE'] as const;
export const ENCOUNTER_CLASS_CODES = { IMP: 'inpatient encounter', AMB: 'ambulatory', HH: 'home health' } as const;
export const READ_RECEIPT_CODES = ['Unread', 'Seen', 'Read'] as const;
export const DOCUMENT_STATUSES = ['current'] as const;
export const DOC_STATUSES = ['final', 'amended', 'corrected', 'appended'] as const;
export const TASK_STATUSES = ['requested', 'cancelled', 'in-progress', 'completed'] as const;
/** The one questionnaire type code the standard names; others are free text (`CONS-Survey` in its example). */
export const PIFU_QUESTIONNAIRE_TYPE = 'pifu-triage';
export const ISSUE_SEVERITIES = ['fatal', 'error', 'warning', 'information'] as const;
/** FHIR R4 (4.0.1) IssueType, a required binding for OperationOutcome.issue.code. */
export const FHIR_R4_ISSUE_TYPES = [
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-lost',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
] as const;

export const str: JsonSchema = { type: 'string', minLength: 1 };
export const uri: JsonSchema = { type: 'string', format: 'uri' };
export const constant = (value: string): JsonSchema => ({ type: 'string', const: value });
export const oneOfStrings = (values: readonly string[]): JsonSchema => ({ type: 'string', enum: [...values] });

/** FHIR R4 `id`. */
export const fhirId: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' };

/** A FHIR instant: date, time and zone. The specs ask for "a UTC format" and show `+00:00`; any FHIR offset is an unambiguous instant. */
export const instant: JsonSchema = {
  type: 'string',
  format: 'fhir-instant',
  'x-hint': 'use a full date-time with seconds and a zone, e.g. 2025-06-13T12:30:00+00:00 or 2025-06-13T12:30:00Z',
};
/**
 * E-27: the producer standard describes its date-times as "in a UTC format" and every example ends
 * `+00:00`; a zone other than UTC is unambiguous, but invalid under that reading, so it is refused.
 * The UTC rule is checked only once the value is a date-time at all, so one mistake gives one diagnostic.
 */
export const utcInstant: JsonSchema = {
  type: 'string',
  format: 'fhir-instant',
  'x-hint': 'use a full date-time with seconds in UTC, e.g. 2025-06-13T12:30:00+00:00 or 2025-06-13T12:30:00Z',
  if: { format: 'fhir-instant' },
  then: {
    pattern: '(Z|\\+00:00)$',
    'x-hint': 'the producer standard asks for UTC: end the date-time with Z or +00:00 (E-27)',
  },
};
export const fhirDate: JsonSchema = { type: 'string', format: 'fhir-date', 'x-hint': 'use YYYY-MM-DD' };
/** FHIR dateTime: a date or a full date-time (Period.start/end in R4). */
export const fhirDateTime: JsonSchema = {
  type: 'string',
  format: 'fhir-datetime',
  'x-hint': 'use YYYY-MM-DD or a full date-time with a zone, e.g. 2025-06-13T12:30:00+00:00',
};

const NHS_NUMBER_REGEX = '^[1-9][0-9]{9}$';

/**
 * An NHS number value: the spec's pattern, then (only when the pattern holds, so one mistake gives
 * one diagnostic) the Modulus 11 check digit.
 */
export const nhsNumber: JsonSchema = {
  type: 'string',
  pattern: NHS_NUMBER_REGEX,
  'x-hint': 'an NHS number is 10 digits and does not start with 0',
  if: { pattern: NHS_NUMBER_REGEX },
  then: {
    format: 'nhs-number',
    'x-hint': 'the last digit is a Modulus 11 check digit; use a valid (synthetic) NHS number',
  },
};

/** `{system: https://fhir.nhs.uk/Id/nhs-number, value: <valid NHS number>}`. */
export const nhsNumberIdentifier: JsonSchema = {
  type: 'object',
  required: ['system', 'value'],
  properties: { system: constant(URLS.nhsNumber), value: nhsNumber },
};

export const odsIdentifier: JsonSchema = {
  type: 'object',
  required: ['system', 'value'],
  properties: { system: constant(URLS.ods), value: str },
};

/** A plain Identifier with both parts present (a half identifier identifies nothing). */
export const identifier: JsonSchema = {
  type: 'object',
  required: ['system', 'value'],
  properties: { system: str, value: str },
};

export const coding: JsonSchema = {
  type: 'object',
  properties: { system: str, code: str, display: { type: 'string' }, version: { type: 'string' } },
};

export const codeableConcept: JsonSchema = {
  type: 'object',
  properties: { coding: { type: 'array', items: coding }, text: { type: 'string' } },
};

/** `{type: 'Patient', identifier: <NHS number identifier>}` — subject/for/participant actor. */
export const patientReference: JsonSchema = {
  type: 'object',
  required: ['type', 'identifier'],
  properties: { type: constant('Patient'), identifier: nhsNumberIdentifier },
};

/** `{type: 'Organization', identifier: <ODS code>, display}` — custodian/owner. */
export const organizationReference = (displayRequired: boolean): JsonSchema => ({
  type: 'object',
  required: displayRequired ? ['type', 'identifier', 'display'] : ['type', 'identifier'],
  properties: { type: constant('Organization'), identifier: odsIdentifier, display: str },
});

/** A reference to a care pathway by PathwayId (Task/DocumentReference basedOn). */
export const carePlanPathwayReference: JsonSchema = {
  type: 'object',
  required: ['type', 'identifier'],
  properties: {
    type: constant('CarePlan'),
    identifier: {
      type: 'object',
      required: ['system', 'value'],
      properties: { system: constant(URLS.pathwayId), value: str },
    },
  },
};

export interface ExtensionDef {
  url: string;
  /** What else the extension must carry (the `value[x]` and friends). */
  required: string[];
  properties: Record<string, JsonSchema>;
}

/**
 * An `extension` array whose items are told apart by `url`: the url must be one the spec defines
 * for this resource, and each defined url brings its own required value. if/then (rather than
 * anyOf) keeps a bad item to one precise diagnostic instead of one per branch.
 */
export function extensionArray(defs: ExtensionDef[], context: string): JsonSchema {
  return {
    type: 'array',
    items: {
      type: 'object',
      required: ['url'],
      properties: {
        url: {
          type: 'string',
          enum: defs.map((d) => d.url),
          'x-hint': `the spec defines only these extensions for ${context}; check the URL for typos`,
        },
      },
      allOf: defs.map((d) => ({
        if: { type: 'object', required: ['url'], properties: { url: { const: d.url } } },
        then: { type: 'object', required: d.required, properties: d.properties },
      })),
    },
  };
}

/** "The array holds at least one item like this", with a message that names what is missing. */
export function mustContain(what: string, item: JsonSchema, hint: string): JsonSchema {
  return { contains: item, 'x-message': `must include ${what}`, 'x-hint': hint };
}

/**
 * A `required` rule with its own hint: a hint sits on the schema node that failed, so a required
 * property that needs an explanation (an erratum) gets a node of its own inside `allOf`.
 */
export function requiredWithHint(names: string[], hint: string): JsonSchema {
  return { required: names, 'x-hint': hint };
}

/**
 * The one OperationOutcome: an error body (4xx/5xx) from a supplier or the aggregator, and the
 * upstream-error resource inside the aggregator's Bundle, which narrows it (`operationOutcomeWith`).
 * E-13: the producer spec's schema takes any string as `issue.code` and its 4XX table lists
 * `TOO_MANY_REQUESTS`; a code outside FHIR R4 IssueType is accepted with a warning
 * (contracts/readings.ts), so the schema asks only for a non-empty string.
 */
export const operationOutcomeSchema: JsonSchema = {
  title: 'OperationOutcome',
  type: 'object',
  required: ['resourceType', 'issue'],
  properties: {
    resourceType: constant('OperationOutcome'),
    id: str,
    issue: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: {
        type: 'object',
        required: ['severity', 'code'],
        properties: {
          severity: oneOfStrings(ISSUE_SEVERITIES),
          code: {
            ...str,
            'x-hint':
              'a FHIR R4 IssueType code (http://hl7.org/fhir/R4/valueset-issue-type.html), e.g. "processing", "forbidden", "exception"',
          },
          details: codeableConcept,
          diagnostics: str,
          expression: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/**
 * The OperationOutcome, narrowed where a spec says more: `resource` constrains the resource (e.g. its
 * `meta`), `issue` each issue (its codes, what it must carry).
 */
export function operationOutcomeWith(title: string, resource: JsonSchema, issue: JsonSchema): JsonSchema {
  return {
    title,
    allOf: [
      operationOutcomeSchema,
      { ...resource, properties: { ...((resource.properties as object) ?? {}), issue: { items: issue } } },
    ],
  };
}
