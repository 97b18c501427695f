/**
 * The registry of payload kinds: one JSON Schema per payload the three PCA specifications define,
 * with where in which spec it comes from. `pca-harness validate --kind <kind>` and the schema suite
 * read this; docs/spec-errata.md says where we had to decide between contradicting parts of a spec.
 */
import { aggregatorBundleSchema } from './aggregator';
import { type JsonSchema, operationOutcomeSchema } from './common';
import { appointmentBundleSchema, documentReferenceBundleSchema, taskBundleSchema } from './producer';
import { recordsErrorSchema, recordsRequestSchema, recordsSuccessSchema } from './record-service';

export type { JsonSchema } from './common';
/** The spec's code lists, for fixtures and checks that must agree with the schemas. */
export {
  APPOINTMENT_STATUSES,
  CONSULTATION_MEDIUM_CODES,
  DOC_STATUSES,
  DOCUMENT_STATUSES,
  ENCOUNTER_CLASS_CODES,
  FHIR_R4_ISSUE_TYPES,
  ISSUE_SEVERITIES,
  PIFU_QUESTIONNAIRE_TYPE,
  PRIORITY_CODES,
  READ_RECEIPT_CODES,
  REQUEST_STATUS_CODES,
  TASK_STATUSES,
  URLS,
} from './common';
export { UPSTREAM_ISSUE_CODES } from './aggregator';

const PRODUCER = 'patient-care-aggregator-api-producer-api-standards.yaml';
const RECORDS = 'patient-care-aggregator-api-record-service-api.yaml';
const CONSUMER = 'patient-care-aggregator-api-consumer-api.yaml';

export interface SchemaKindInfo {
  schema: JsonSchema;
  title: string;
  /** `<spec file> #/<path to the schema>`. */
  source: string;
}

export const SCHEMA_KINDS = {
  appointments: {
    schema: appointmentBundleSchema,
    title: 'Get Appointments response: searchset Bundle of Appointment',
    source: `${PRODUCER} #/components/schemas/Bundle + #/components/schemas/Appointment`,
  },
  documents: {
    schema: documentReferenceBundleSchema,
    title: 'Get DocumentReferences response: searchset Bundle of DocumentReference',
    source: `${PRODUCER} #/components/schemas/Bundle + #/components/schemas/DocumentReference`,
  },
  tasks: {
    schema: taskBundleSchema,
    title: 'Get Tasks (questionnaires) response: searchset Bundle of Task',
    source: `${PRODUCER} #/components/schemas/Bundle + #/components/schemas/Task`,
  },
  'operation-outcome': {
    schema: operationOutcomeSchema,
    title: 'Error response (4xx/5xx): OperationOutcome',
    source: `${PRODUCER} #/components/schemas/OperationOutcome`,
  },
  'records-request': {
    schema: recordsRequestSchema,
    title: 'Record Service POST /records request body',
    source: `${RECORDS} #/paths/~1records/post/requestBody/content/application~1json/schema`,
  },
  'records-success': {
    schema: recordsSuccessSchema,
    title: 'Record Service 200 response body',
    source: `${RECORDS} #/paths/~1records/post/responses/200/content/application~1json/schema`,
  },
  'records-error': {
    schema: recordsErrorSchema,
    title: 'Record Service 4xx response body',
    source: `${RECORDS} #/paths/~1records/post/responses/4XX/content/application~1json/schema`,
  },
  'aggregator-bundle': {
    schema: aggregatorBundleSchema,
    title: 'Aggregator /aggregator/events response: Bundle of CarePlan and OperationOutcome',
    source: `${CONSUMER} #/components/schemas/Bundle + CarePlan + OperationOutcome`,
  },
} satisfies Record<string, SchemaKindInfo>;

export type SchemaKind = keyof typeof SCHEMA_KINDS;

export const SCHEMA_KIND_NAMES = Object.keys(SCHEMA_KINDS) as SchemaKind[];

export function isSchemaKind(v: unknown): v is SchemaKind {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(SCHEMA_KINDS, v);
}

/**
 * WF-NFR-07: `Bundle.total` is the "no matches" signal, so it must equal the number of entries
 * (an absent `entry` counts as none). The aggregator's examples count every entry, OperationOutcome
 * included (E-20). Pure, for the behaviour checks: false for anything that is not such a bundle.
 */
export function bundleTotalMatches(bundle: unknown): boolean {
  if (typeof bundle !== 'object' || bundle === null) return false;
  const { total, entry } = bundle as { total?: unknown; entry?: unknown };
  if (typeof total !== 'number' || !Number.isInteger(total)) return false;
  if (entry !== undefined && !Array.isArray(entry)) return false;
  return total === (entry === undefined ? 0 : entry.length);
}
