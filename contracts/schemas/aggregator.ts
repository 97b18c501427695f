/**
 * What the aggregator returns to the NHS App from `GET /aggregator/events`, from
 * patient-care-aggregator-api-consumer-api.yaml (#/components/schemas/Bundle, CarePlan, Referral,
 * Appointment, Document, Questionnaire, OperationOutcome). Our mock aggregator builds these; this
 * schema is what keeps it honest. Decisions on the spec's contradictions: E-nn in docs/spec-errata.md.
 */
import {
  CONSULTATION_MEDIUM_CODES,
  URLS,
  type ExtensionDef,
  type JsonSchema,
  constant,
  extensionArray,
  fhirDate,
  fhirDateTime,
  instant,
  mustContain,
  nhsNumberIdentifier,
  odsIdentifier,
  oneOfStrings,
  operationOutcomeWith,
  str,
  uri,
} from './common';

export const AGGREGATOR_URLS = {
  bundleProfile: 'https://fhir.nhs.uk/StructureDefinition/WayfinderUKCoreBundle',
  carePlanProfile: 'https://fhir.nhs.uk/StructureDefinition/WayfinderUKCoreCarePlan',
  operationOutcomeProfile: 'https://fhir.nhs.uk/StructureDefinition/WayfinderUKCoreOperationOutcome',
  clientId: 'https://fhir.nhs.uk/StructureDefinition/Extension-Client-id',
  ersReferralState: 'https://fhir.nhs.uk/StructureDefinition/Extension-eRS-ServiceRequest-State',
  ersReferralStateSystem: 'https://fhir.nhs.uk/CodeSystem/eRS-ReferralState',
  specialty: 'https://fhir.nhs.uk/StructureDefinition/Extension-Specialty',
  reviewDueDate: 'https://fhir.nhs.uk/StructureDefinition/Extension-eRS-ReviewDueDate',
  appointmentStatus: 'https://fhir.nhs.uk/StructureDefinition/Extension-Appointment-Status',
  appointmentStatusSystem: 'http://hl7.org/fhir/appointmentstatus',
  encounterClass: 'https://fhir.nhs.uk/StructureDefinition/Extension-Encounter-Class',
  linkedResource: 'https://fhir.nhs.uk/StructureDefinition/Extension-Linked-Resource',
  readReceipt: 'https://fhir.nhs.uk/StructureDefinition/Extension-Read-Receipt',
  questionnaireType: 'https://fhir.nhs.uk/StructureDefinition/Extension-Questionnaire-Type',
  questionnaireTypeSystem: 'https://fhir.nhs.uk/CodeSystem/Questionnaire-Type',
  questionnaireLastModified: 'https://fhir.nhs.uk/StructureDefinition/Extension-Questionnaire-LastModifiedDate',
  plannedWaitTime: 'https://fhir.nhs.uk/StructureDefinition/Extension-PlannedWaitTime',
  percentile80WaitTime: 'https://fhir.nhs.uk/StructureDefinition/Extension-80thPercentileWaitTime',
} as const;

export const CONSUMER_APPOINTMENT_STATUS_CODES = [
  'booked',
  'fulfilled',
  'cancelled',
  'noshow',
  'bookedPendingCancellation',
  'bookedPendingReschedule',
  'bookedPendingChange',
  'cancelledPendingReschedule',
] as const;
export const CONSUMER_READ_RECEIPT_CODES = ['read', 'unread', 'seen'] as const;
export const CONSUMER_QUESTIONNAIRE_STATUSES = ['not-started', 'in-progress', 'completed', 'cancelled'] as const;
export const ENCOUNTER_CLASSES = ['outpatient', 'inpatient', 'daycase'] as const;
export const ERS_REFERRAL_STATES = ['bookable', 'bookableWasCancelled', 'inReview'] as const;
/** E-14: the codes the consumer spec gives issues about upstream suppliers inside the Bundle. */
export const UPSTREAM_ISSUE_CODES = ['timeout', 'structure', 'transient', 'exception', 'business-rule'] as const;

const profiles = (url: string): JsonSchema => ({ type: 'array', items: constant(url) });

const performer: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 1,
  items: {
    type: 'object',
    required: ['type', 'display', 'identifier'],
    properties: { type: constant('Organization'), identifier: odsIdentifier, display: str },
  },
};

/**
 * E-19: the spec's schema wants the client id nested in the Portal-Link extension (with a garbled
 * array-typed branch); every example carries it as a sibling `Extension-Client-id`. Both are accepted.
 */
const commonActivityExtensions: ExtensionDef[] = [
  {
    url: URLS.portalLink,
    required: ['valueUrl'],
    properties: {
      valueUrl: uri,
      extension: {
        type: 'array',
        items: {
          type: 'object',
          required: ['url', 'valueCode'],
          properties: { url: oneOfStrings(['client-id', AGGREGATOR_URLS.clientId]), valueCode: str },
        },
      },
    },
  },
  { url: AGGREGATOR_URLS.clientId, required: ['valueCode'], properties: { valueCode: str } },
];

const linkedResource: ExtensionDef = {
  url: AGGREGATOR_URLS.linkedResource,
  required: ['valueReference'],
  properties: { valueReference: { type: 'object', required: ['reference'], properties: { reference: str } } },
};

function activityExtensions(kind: string, defs: ExtensionDef[]): JsonSchema {
  return {
    ...extensionArray([...commonActivityExtensions, ...defs], `a ${kind} activity`),
    allOf: [
      mustContain(
        'the Portal-Link extension',
        { type: 'object', required: ['url'], properties: { url: { const: URLS.portalLink } } },
        'every activity carries the deep link the NHS App opens ("Always present")',
      ),
    ],
  };
}

function activity(detail: JsonSchema): JsonSchema {
  return { type: 'object', required: ['detail'], properties: { detail: { type: 'object', ...detail } } };
}

const referral = activity({
  required: ['kind', 'status'],
  properties: {
    id: str,
    kind: constant('ServiceRequest'),
    status: constant('in-progress'),
    extension: activityExtensions('referral', [
      {
        url: AGGREGATOR_URLS.ersReferralState,
        required: ['valueCoding'],
        properties: {
          valueCoding: {
            type: 'object',
            required: ['system', 'code'],
            properties: {
              system: constant(AGGREGATOR_URLS.ersReferralStateSystem),
              code: oneOfStrings(ERS_REFERRAL_STATES),
            },
          },
        },
      },
      {
        url: AGGREGATOR_URLS.specialty,
        required: ['valueCoding'],
        properties: {
          valueCoding: {
            type: 'object',
            required: ['system', 'display'],
            properties: { system: constant(URLS.specialty), display: str },
          },
        },
      },
    ]),
    description: { type: 'string' },
    scheduledPeriod: {
      type: 'object',
      required: ['start'],
      properties: {
        start: instant,
        extension: extensionArray(
          [{ url: AGGREGATOR_URLS.reviewDueDate, required: ['valueDate'], properties: { valueDate: fhirDate } }],
          "a referral's scheduledPeriod",
        ),
      },
    },
    performer,
  },
});

const booking = activity({
  required: ['kind', 'status', 'description', 'location'],
  properties: {
    id: str,
    kind: constant('Appointment'),
    status: constant('in-progress'),
    extension: activityExtensions('booking', [
      {
        url: AGGREGATOR_URLS.appointmentStatus,
        required: ['valueCoding'],
        properties: {
          valueCoding: {
            type: 'object',
            required: ['system', 'code'],
            properties: {
              system: constant(AGGREGATOR_URLS.appointmentStatusSystem),
              code: oneOfStrings(CONSUMER_APPOINTMENT_STATUS_CODES),
            },
          },
        },
      },
      {
        url: URLS.consultationMedium,
        required: ['valueCode'],
        properties: { valueCode: oneOfStrings(CONSULTATION_MEDIUM_CODES) },
      },
      {
        url: AGGREGATOR_URLS.encounterClass,
        required: ['valueCode'],
        properties: { valueCode: oneOfStrings(ENCOUNTER_CLASSES) },
      },
    ]),
    description: str,
    scheduledPeriod: { type: 'object', required: ['start'], properties: { start: instant, end: instant } },
    location: { type: 'object', properties: { type: constant('Location'), display: str } },
    performer,
  },
});

const document = activity({
  required: ['kind', 'status', 'description', 'scheduledPeriod'],
  properties: {
    id: str,
    kind: constant('DocumentReference'),
    status: constant('in-progress'),
    extension: activityExtensions('document', [
      linkedResource,
      {
        url: AGGREGATOR_URLS.readReceipt,
        required: ['valueCode'],
        properties: { valueCode: oneOfStrings(CONSUMER_READ_RECEIPT_CODES) },
      },
    ]),
    description: str,
    scheduledPeriod: { type: 'object', required: ['start'], properties: { start: instant } },
    performer,
  },
});

const questionnaire = activity({
  required: ['kind', 'status', 'description'],
  properties: {
    id: str,
    kind: constant('QuestionnaireResponse'),
    status: oneOfStrings(CONSUMER_QUESTIONNAIRE_STATUSES),
    extension: activityExtensions('questionnaire', [
      linkedResource,
      {
        url: AGGREGATOR_URLS.questionnaireType,
        required: ['valueCoding'],
        properties: {
          valueCoding: {
            type: 'object',
            required: ['system', 'code'],
            properties: { system: constant(AGGREGATOR_URLS.questionnaireTypeSystem), code: str },
          },
        },
      },
      { url: AGGREGATOR_URLS.questionnaireLastModified, required: ['valueDate'], properties: { valueDate: fhirDate } },
    ]),
    description: str,
    scheduledPeriod: { type: 'object', required: ['start'], properties: { start: instant, end: instant } },
    performer,
  },
});

const ACTIVITY_KINDS: Array<[string, JsonSchema]> = [
  ['ServiceRequest', referral],
  ['Appointment', booking],
  ['DocumentReference', document],
  ['QuestionnaireResponse', questionnaire],
];

const activityItem: JsonSchema = {
  type: 'object',
  required: ['detail'],
  properties: {
    detail: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ACTIVITY_KINDS.map(([k]) => k) } },
    },
  },
  allOf: ACTIVITY_KINDS.map(([kind, schema]) => ({
    if: {
      required: ['detail'],
      properties: { detail: { type: 'object', required: ['kind'], properties: { kind: { const: kind } } } },
    },
    then: schema,
  })),
};

const waitTime: ExtensionDef['properties'] = {
  valueDuration: {
    type: 'object',
    required: ['value', 'unit'],
    properties: { value: { type: 'number', minimum: 0 }, unit: str },
  },
};

export const carePlanSchema: JsonSchema = {
  title: 'CarePlan',
  type: 'object',
  required: ['resourceType', 'status', 'intent', 'subject'],
  properties: {
    resourceType: constant('CarePlan'),
    meta: { type: 'object', properties: { lastUpdated: instant, profile: profiles(AGGREGATOR_URLS.carePlanProfile) } },
    identifier: {
      type: 'array',
      items: {
        type: 'object',
        required: ['system', 'value'],
        properties: { system: constant(URLS.carePathwayId), value: str },
      },
    },
    status: oneOfStrings(['active', 'completed']),
    intent: constant('order'),
    title: str,
    subject: { type: 'object', required: ['identifier'], properties: { identifier: nhsNumberIdentifier } },
    period: {
      type: 'object',
      properties: {
        start: fhirDateTime,
        end: fhirDateTime,
        extension: extensionArray(
          [
            { url: AGGREGATOR_URLS.plannedWaitTime, required: ['valueDuration'], properties: waitTime },
            { url: AGGREGATOR_URLS.percentile80WaitTime, required: ['valueDuration'], properties: waitTime },
          ],
          'a waiting-list period',
        ),
      },
    },
    author: { type: 'object', properties: { type: constant('Organization'), identifier: odsIdentifier, display: str } },
    activity: { type: 'array', items: activityItem },
  },
};

/** E-14: inside the Bundle an issue names the failing supplier and uses one of five codes. */
export const upstreamOperationOutcomeSchema: JsonSchema = operationOutcomeWith(
  'OperationOutcome (upstream errors)',
  {
    properties: {
      meta: { type: 'object', properties: { profile: profiles(AGGREGATOR_URLS.operationOutcomeProfile) } },
    },
  },
  {
    required: ['extension'],
    properties: {
      code: {
        ...oneOfStrings(UPSTREAM_ISSUE_CODES),
        'x-hint':
          'timeout = the supplier did not answer in time; structure = its response failed validation; transient/exception = an unexpected error; business-rule = data suppressed by a rule',
      },
      extension: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['url', 'valueCode'],
          properties: {
            url: {
              ...constant(URLS.errorSource),
              'x-hint': 'the issue names its supplier with the ExtensionErrorSource extension',
            },
            valueCode: str,
          },
        },
      },
    },
  },
);

function bundleEntry(resourceType: string, mode: string, resource: JsonSchema): JsonSchema {
  return {
    if: {
      required: ['resource'],
      properties: {
        resource: { type: 'object', required: ['resourceType'], properties: { resourceType: { const: resourceType } } },
      },
    },
    then: { properties: { search: { type: 'object', properties: { mode: constant(mode) } }, resource } },
  };
}

export const aggregatorBundleSchema: JsonSchema = {
  title: 'Aggregator Bundle',
  type: 'object',
  required: ['resourceType', 'type', 'total'],
  properties: {
    resourceType: constant('Bundle'),
    id: str,
    meta: {
      type: 'object',
      properties: {
        versionId: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
        profile: profiles(AGGREGATOR_URLS.bundleProfile),
      },
    },
    type: constant('searchset'),
    // E-22: the spec says number; a count is an R4 unsignedInt.
    total: { type: 'integer', minimum: 0 },
    entry: {
      type: 'array',
      items: {
        type: 'object',
        required: ['fullUrl', 'search', 'resource'],
        properties: {
          fullUrl: uri,
          search: { type: 'object', required: ['mode'], properties: { mode: oneOfStrings(['match', 'include']) } },
          resource: {
            type: 'object',
            required: ['resourceType'],
            properties: { resourceType: oneOfStrings(['CarePlan', 'OperationOutcome']) },
          },
        },
        allOf: [
          bundleEntry('CarePlan', 'match', carePlanSchema),
          bundleEntry('OperationOutcome', 'include', upstreamOperationOutcomeSchema),
        ],
      },
    },
  },
};
