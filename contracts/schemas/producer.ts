/**
 * What a supplier's Get Appointments / DocumentReference / Task API returns, from the producer API
 * standard (patient-care-aggregator-api-producer-api-standards.yaml, #/components/schemas/...).
 * Where that spec contradicts itself the decision is tagged `E-nn` and explained in
 * docs/spec-errata.md.
 */
import {
  APPOINTMENT_STATUSES,
  CONSULTATION_MEDIUM_CODES,
  DOC_STATUSES,
  DOCUMENT_STATUSES,
  ENCOUNTER_CLASS_CODES,
  PIFU_QUESTIONNAIRE_TYPE,
  PRIORITY_CODES,
  READ_RECEIPT_CODES,
  REQUEST_STATUS_CODES,
  TASK_STATUSES,
  URLS,
  type JsonSchema,
  carePlanPathwayReference,
  codeableConcept,
  constant,
  extensionArray,
  fhirId,
  identifier,
  mustContain,
  nhsNumberIdentifier,
  utcInstant,
  oneOfStrings,
  organizationReference,
  patientReference,
  requiredWithHint,
  str,
  uri,
} from './common';

const consultationMediumExtension: JsonSchema = {
  type: 'object',
  required: ['url', 'valueCode'],
  properties: { url: constant(URLS.consultationMedium), valueCode: oneOfStrings(CONSULTATION_MEDIUM_CODES) },
};

const portalLinkExtension: JsonSchema = {
  type: 'object',
  required: ['url', 'valueUrl'],
  properties: { url: constant(URLS.portalLink), valueUrl: uri },
};

const appointmentExtensions: JsonSchema = {
  ...extensionArray(
    [
      {
        url: URLS.priority,
        required: ['valueCoding'],
        properties: {
          valueCoding: {
            type: 'object',
            required: ['system', 'code'],
            properties: { system: constant(URLS.ersPriority), code: oneOfStrings(PRIORITY_CODES) },
          },
        },
      },
      {
        url: URLS.requestStatus,
        required: ['valueCode'],
        properties: { valueCode: oneOfStrings(REQUEST_STATUS_CODES) },
      },
      {
        url: URLS.consultationMedium,
        required: ['valueCode'],
        properties: {
          valueCode: {
            ...oneOfStrings(CONSULTATION_MEDIUM_CODES),
            'x-hint':
              'VIRTUAL is deprecated and the aggregator drops it (with any other unlisted value): use VIDEO_CONSULTATION or TELEPHONE',
          },
        },
      },
      { url: URLS.portalLink, required: ['valueUrl'], properties: { valueUrl: uri } },
    ],
    'Appointment',
  ),
  allOf: [
    mustContain(
      'the Portal-Link extension (deep link into your portal)',
      portalLinkExtension,
      `add {"url": "${URLS.portalLink}", "valueUrl": "https://..."}`,
    ),
  ],
};

const participantActor: JsonSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: oneOfStrings(['Patient', 'Practitioner', 'HealthcareService', 'Location']),
    display: str,
    identifier,
  },
  allOf: [
    {
      if: { required: ['type'], properties: { type: { const: 'Patient' } } },
      then: { required: ['identifier'], properties: { identifier: nhsNumberIdentifier } },
    },
    {
      if: { required: ['type', 'identifier'], properties: { type: { const: 'Practitioner' } } },
      then: { properties: { identifier: { type: 'object', properties: { system: constant(URLS.sdsUser) } } } },
    },
    {
      if: { required: ['type', 'identifier'], properties: { type: { const: 'Location' } } },
      then: { properties: { identifier: { type: 'object', properties: { system: constant(URLS.ods) } } } },
    },
  ],
};

const odsLocationParticipant: JsonSchema = {
  type: 'object',
  required: ['actor'],
  properties: {
    actor: {
      type: 'object',
      required: ['type', 'identifier'],
      properties: {
        type: { const: 'Location' },
        identifier: { type: 'object', required: ['system'], properties: { system: { const: URLS.ods } } },
      },
    },
  },
};

const physicalLocationParticipant: JsonSchema = {
  type: 'object',
  required: ['actor'],
  properties: {
    actor: { type: 'object', required: ['type', 'display'], properties: { type: { const: 'Location' }, display: str } },
  },
};

const isFaceToFace: JsonSchema = {
  required: ['extension'],
  properties: {
    extension: {
      type: 'array',
      contains: {
        type: 'object',
        required: ['url', 'valueCode'],
        properties: { url: { const: URLS.consultationMedium }, valueCode: { const: 'FACE_TO_FACE' } },
      },
    },
  },
};

const isInpatient: JsonSchema = {
  required: ['appointmentType'],
  properties: {
    appointmentType: {
      type: 'object',
      required: ['coding'],
      properties: {
        coding: {
          type: 'array',
          contains: { type: 'object', required: ['code'], properties: { code: { const: 'IMP' } } },
        },
      },
    },
  },
};

export const appointmentSchema: JsonSchema = {
  title: 'Appointment',
  type: 'object',
  required: ['resourceType', 'id', 'status', 'description', 'start', 'participant', 'extension'],
  properties: {
    resourceType: constant('Appointment'),
    id: fhirId,
    extension: appointmentExtensions,
    identifier: { type: 'array', items: identifier },
    specialty: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: {
        type: 'object',
        required: ['coding'],
        properties: {
          coding: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['system', 'code'],
              properties: {
                system: oneOfStrings([URLS.specialty, URLS.specialtyStu3]),
                code: {
                  type: 'string',
                  pattern: '^[0-9]{3}$',
                  'x-hint': 'a three-digit NHS specialty (treatment function) code, e.g. 330',
                },
                display: str,
              },
            },
          },
        },
      },
    },
    status: oneOfStrings(APPOINTMENT_STATUSES),
    description: str,
    appointmentType: {
      type: 'object',
      properties: {
        coding: {
          type: 'array',
          items: {
            type: 'object',
            required: ['system', 'code'],
            properties: {
              system: constant(URLS.actCode),
              code: oneOfStrings(Object.keys(ENCOUNTER_CLASS_CODES)),
              display: oneOfStrings(Object.values(ENCOUNTER_CLASS_CODES)),
            },
          },
        },
      },
    },
    start: utcInstant,
    end: utcInstant,
    slot: { type: 'array', items: { type: 'object', required: ['identifier'], properties: { identifier } } },
    // E-17: an array of identifiers in the spec and its examples (R4 has one Identifier per Reference).
    basedOn: {
      type: 'array',
      items: {
        type: 'object',
        required: ['identifier'],
        properties: {
          identifier: {
            type: 'array',
            items: identifier,
            'x-hint': 'the spec lists UBRN, referral and PathwayId identifiers in an array (E-17)',
          },
        },
      },
    },
    participant: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['actor', 'status'],
        properties: { actor: participantActor, status: oneOfStrings(['accepted']) },
      },
      allOf: [
        mustContain(
          "a Location participant identified by the providing organisation's ODS code",
          odsLocationParticipant,
          `add {"actor": {"type": "Location", "identifier": {"system": "${URLS.ods}", "value": "<ODS code>"}}, "status": "accepted"}`,
        ),
      ],
    },
  },
  allOf: [
    // E-04: the schema requires specialty, its examples omit it: both readings are accepted, the
    // omission with a warning (contracts/readings.ts).
    {
      // E-05: "(required)" on every appointment; the spec's inpatient example has none, so an inpatient
      // appointment may leave it out (with a warning, contracts/readings.ts).
      if: isInpatient,
      else: {
        properties: {
          extension: mustContain(
            'the Consultation-Medium extension',
            consultationMediumExtension,
            `add {"url": "${URLS.consultationMedium}", "valueCode": "FACE_TO_FACE" | "VIDEO_CONSULTATION" | "TELEPHONE"}; the spec marks it required (E-05 in docs/spec-errata.md)`,
          ),
        },
      },
    },
    {
      // "Appointment location ... required for physical appointments only."
      if: isFaceToFace,
      then: {
        properties: {
          participant: mustContain(
            'a Location participant with a display name (required for face-to-face appointments)',
            physicalLocationParticipant,
            'add {"actor": {"type": "Location", "display": "<building, department>"}, "status": "accepted"}',
          ),
        },
      },
    },
    {
      // "end: Required for inpatient appointment."
      if: isInpatient,
      then: requiredWithHint(['end'], 'an inpatient (IMP) appointment needs an end: the expected discharge date-time'),
    },
  ],
};

const readReceiptExtensions = extensionArray(
  [{ url: URLS.readReceipt, required: ['valueCode'], properties: { valueCode: oneOfStrings(READ_RECEIPT_CODES) } }],
  'DocumentReference',
);

const period: JsonSchema = { type: 'object', properties: { start: utcInstant, end: utcInstant } };

export const documentReferenceSchema: JsonSchema = {
  title: 'DocumentReference',
  type: 'object',
  required: ['resourceType', 'id', 'status', 'subject', 'date', 'custodian', 'description', 'content'],
  properties: {
    resourceType: constant('DocumentReference'),
    id: fhirId,
    extension: readReceiptExtensions,
    identifier: { type: 'array', items: identifier },
    // Not an R4 element; the spec defines it deliberately, so it is checked as the spec describes.
    basedOn: { type: 'array', maxItems: 1, items: carePlanPathwayReference },
    status: oneOfStrings(DOCUMENT_STATUSES),
    docStatus: oneOfStrings(DOC_STATUSES),
    // E-10: R4 CodeableConcept, not the spec's string.
    type: {
      ...codeableConcept,
      'x-hint':
        'FHIR R4 DocumentReference.type is a CodeableConcept ({"coding": [...], "text": ...}), not a string (E-10)',
    },
    category: { type: 'array', items: codeableConcept },
    subject: patientReference,
    context: {
      type: 'object',
      required: ['related'],
      properties: {
        related: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type'],
            properties: { type: constant('Appointment'), reference: str },
            // E-09: R4 and the spec's example say `reference`; the spec's schema says `references`.
            allOf: [
              requiredWithHint(
                ['reference'],
                'the link to the appointment goes in "reference" (FHIR R4 and the spec\'s example), not "references" (E-09)',
              ),
            ],
          },
        },
        period,
      },
    },
    // E-11: the spec puts period here, R4 in context.period; either is accepted and checked.
    period,
    date: utcInstant,
    custodian: organizationReference(true),
    description: str,
    content: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['attachment'],
        properties: {
          attachment: {
            type: 'object',
            required: ['contentType', 'url'],
            properties: { contentType: constant('application/pdf'), url: uri },
          },
        },
      },
    },
  },
};

const treatmentFunctionExtension: JsonSchema = {
  type: 'object',
  required: ['url', 'valueCoding'],
  properties: { url: constant(URLS.taskTreatmentFunction) },
};

const isPifu: JsonSchema = {
  required: ['reasonCode'],
  properties: {
    reasonCode: {
      type: 'object',
      required: ['coding'],
      properties: {
        coding: {
          type: 'array',
          contains: { type: 'object', required: ['code'], properties: { code: { const: PIFU_QUESTIONNAIRE_TYPE } } },
        },
      },
    },
  },
};

export const taskSchema: JsonSchema = {
  title: 'Task',
  type: 'object',
  required: ['resourceType', 'id', 'status', 'intent', 'description', 'for', 'reasonReference', 'owner', 'reasonCode'],
  properties: {
    resourceType: constant('Task'),
    id: fhirId,
    // E-08: R4 Task.identifier is 0..*; the spec's schema shows a single object.
    identifier: {
      type: 'array',
      items: identifier,
      'x-hint': 'FHIR R4 Task.identifier is an array of identifiers (E-08)',
    },
    basedOn: { type: 'array', maxItems: 1, items: carePlanPathwayReference },
    status: oneOfStrings(TASK_STATUSES),
    intent: constant('plan'),
    description: str,
    focus: {
      type: 'object',
      required: ['type', 'reference'],
      properties: { type: constant('Appointment'), reference: str },
    },
    for: patientReference,
    authoredOn: utcInstant,
    lastModified: utcInstant,
    restriction: { type: 'object', properties: { period: { type: 'object', properties: { end: utcInstant } } } },
    reasonReference: {
      type: 'object',
      required: ['type', 'reference'],
      properties: { type: constant('Questionnaire'), reference: uri },
    },
    owner: organizationReference(false),
    // E-07: one CodeableConcept whose coding is an array (R4 and the spec's example).
    reasonCode: {
      type: 'object',
      required: ['coding', 'text'],
      'x-hint': 'FHIR R4 Task.reasonCode is one CodeableConcept object, not an array (E-07)',
      properties: {
        coding: {
          type: 'array',
          minItems: 1,
          'x-hint':
            "CodeableConcept.coding is an array of codings (FHIR R4 and the spec's example), not one object (E-07)",
          items: {
            type: 'object',
            required: ['system', 'code', 'display'],
            properties: { system: constant(URLS.questionnaireTypeSystem), code: str, display: str },
          },
        },
        text: str,
      },
    },
    extension: extensionArray(
      [
        {
          url: URLS.taskTreatmentFunction,
          required: ['valueCoding'],
          properties: {
            valueCoding: {
              type: 'object',
              required: ['system', 'code'],
              properties: { system: constant(URLS.specialty), code: str, display: str },
            },
          },
        },
      ],
      'Task',
    ),
  },
  allOf: [
    // E-06: the spec's schema says `authored`; FHIR R4 and the spec's example say `authoredOn`.
    requiredWithHint(
      ['authoredOn'],
      'the date the questionnaire was made available goes in "authoredOn" (FHIR R4 and the spec\'s example), not "authored" (E-06)',
    ),
    {
      // PIFU questionnaires: the treatment function "must be provided" and basedOn "is required".
      if: isPifu,
      then: {
        ...requiredWithHint(
          ['basedOn', 'extension'],
          'a pifu-triage Task needs basedOn (its care pathway) and the Task-TreatmentFunction extension',
        ),
        properties: {
          extension: mustContain(
            'the Task-TreatmentFunction extension (required for pifu-triage questionnaires)',
            treatmentFunctionExtension,
            `add {"url": "${URLS.taskTreatmentFunction}", "valueCoding": {"system": "${URLS.specialty}", "code": "<3-digit code>"}}`,
          ),
          basedOn: { minItems: 1 },
        },
      },
    },
  ],
};

/**
 * A producer searchset Bundle whose entries are all `resource` (E-01: the spec's responses name the
 * bare resource schema, its examples and WF-NFR-07 a Bundle).
 */
export function producerBundleSchema(resource: JsonSchema, resourceType: string): JsonSchema {
  return {
    title: `Bundle of ${resourceType}`,
    type: 'object',
    required: ['resourceType', 'type'],
    properties: {
      resourceType: constant('Bundle'),
      id: fhirId,
      type: constant('searchset'),
      total: {
        type: 'integer',
        minimum: 0,
        'x-hint': 'Bundle.total is the number of entries, 0 when there are none (WF-NFR-07)',
      },
      // E-03: absent or empty when there are no matches (the spec's emptyBundle example has none).
      entry: {
        type: 'array',
        items: {
          type: 'object',
          required: ['resource'],
          properties: {
            fullUrl: uri,
            search: { type: 'object', properties: { mode: constant('match') } },
            resource: {
              type: 'object',
              required: ['resourceType'],
              properties: {
                resourceType: {
                  const: resourceType,
                  'x-hint': `this endpoint returns ${resourceType} resources only; each Record Service client serves one resource type`,
                },
              },
              // Only a resource of the right type is checked further, so a wrong type gives one diagnostic, not dozens.
              if: { required: ['resourceType'], properties: { resourceType: { const: resourceType } } },
              then: resource,
            },
          },
        },
      },
    },
    // E-02: WF-NFR-07 makes total the "no matches" signal, so it must be there.
    allOf: [requiredWithHint(['total'], 'add "total": the number of entries (0 means no matches, WF-NFR-07) (E-02)')],
  };
}

export const appointmentBundleSchema = producerBundleSchema(appointmentSchema, 'Appointment');
export const documentReferenceBundleSchema = producerBundleSchema(documentReferenceSchema, 'DocumentReference');
export const taskBundleSchema = producerBundleSchema(taskSchema, 'Task');
