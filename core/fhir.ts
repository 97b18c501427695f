/**
 * FHIR R4 types for the resources the PCA exchanges. They follow FHIR R4 element names and
 * cardinalities for the parts the PCA specifications use; the JSON Schemas in contracts/ are the
 * stricter, spec-specific rules (enums, required fields).
 */

export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Identifier {
  system?: string;
  value?: string;
}

export interface Reference {
  type?: string;
  reference?: string;
  identifier?: Identifier;
  display?: string;
}

export interface Period {
  start?: string;
  end?: string;
  extension?: Extension[];
}

/** FHIR extension: one `value[x]` is set. */
export interface Extension {
  url: string;
  valueCode?: string;
  valueCoding?: Coding;
  valueUrl?: string;
  valueString?: string;
  valueBoolean?: boolean;
  valueDateTime?: string;
  valueDate?: string;
  valueInteger?: number;
  valueReference?: Reference;
  valueCodeableConcept?: CodeableConcept;
  valuePeriod?: Period;
  valueDuration?: { value: number; unit: string };
  extension?: Extension[];
}

export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  profile?: string[];
}

export interface ResourceBase {
  resourceType: string;
  id?: string;
  meta?: Meta;
  extension?: Extension[];
}

export type AppointmentStatus =
  | 'proposed'
  | 'pending'
  | 'booked'
  | 'arrived'
  | 'fulfilled'
  | 'cancelled'
  | 'noshow'
  | 'entered-in-error'
  | 'checked-in'
  | 'waitlist';

export interface AppointmentParticipant {
  type?: CodeableConcept[];
  actor?: Reference;
  required?: 'required' | 'optional' | 'information-only';
  status: 'accepted' | 'declined' | 'tentative' | 'needs-action';
  period?: Period;
}

export interface Appointment extends ResourceBase {
  resourceType: 'Appointment';
  identifier?: Identifier[];
  status: AppointmentStatus;
  cancelationReason?: CodeableConcept;
  serviceCategory?: CodeableConcept[];
  serviceType?: CodeableConcept[];
  specialty?: CodeableConcept[];
  appointmentType?: CodeableConcept;
  description?: string;
  start?: string;
  end?: string;
  created?: string;
  comment?: string;
  slot?: Reference[];
  basedOn?: Array<Reference & { identifier?: Identifier | Identifier[] }>;
  participant: AppointmentParticipant[];
  requestedPeriod?: Period[];
}

export interface Attachment {
  contentType?: string;
  url?: string;
  title?: string;
  creation?: string;
  size?: number;
}

export interface DocumentReference extends ResourceBase {
  resourceType: 'DocumentReference';
  identifier?: Identifier[];
  status: 'current' | 'superseded' | 'entered-in-error';
  docStatus?: 'preliminary' | 'final' | 'amended' | 'entered-in-error';
  type?: CodeableConcept;
  category?: CodeableConcept[];
  subject?: Reference;
  date?: string;
  author?: Reference[];
  custodian?: Reference;
  description?: string;
  content: Array<{ attachment: Attachment; format?: Coding }>;
  context?: { related?: Reference[]; period?: Period; encounter?: Reference[] };
}

export type TaskStatus =
  | 'draft'
  | 'requested'
  | 'received'
  | 'accepted'
  | 'rejected'
  | 'ready'
  | 'cancelled'
  | 'in-progress'
  | 'on-hold'
  | 'failed'
  | 'completed'
  | 'entered-in-error';

export interface Task extends ResourceBase {
  resourceType: 'Task';
  identifier?: Identifier[];
  basedOn?: Reference[];
  status: TaskStatus;
  intent: string;
  priority?: string;
  description?: string;
  focus?: Reference;
  for?: Reference;
  authoredOn?: string;
  lastModified?: string;
  executionPeriod?: Period;
  owner?: Reference;
  reasonCode?: CodeableConcept;
  reasonReference?: Reference;
  input?: Array<{ type: CodeableConcept; valueString?: string; valueUrl?: string }>;
  /** PIFU: `restriction.period.end` is when the patient can no longer raise a follow-up request. */
  restriction?: { period?: Period };
}

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export interface OperationOutcomeIssue {
  severity: IssueSeverity;
  code: string;
  details?: CodeableConcept;
  diagnostics?: string;
  expression?: string[];
  extension?: Extension[];
}

export interface OperationOutcome extends ResourceBase {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

export interface CarePlanActivity {
  reference?: Reference;
  detail?: Record<string, unknown>;
  extension?: Extension[];
  outcomeReference?: Reference[];
}

export interface CarePlan extends ResourceBase {
  resourceType: 'CarePlan';
  identifier?: Identifier[];
  status: string;
  intent: string;
  title?: string;
  description?: string;
  subject: Reference;
  period?: Period;
  created?: string;
  author?: Reference;
  activity?: CarePlanActivity[];
  contained?: FhirResource[];
}

export type ProducerResource = Appointment | DocumentReference | Task;
export type FhirResource = ProducerResource | OperationOutcome | CarePlan;

export interface BundleEntry<R extends ResourceBase = FhirResource> {
  fullUrl?: string;
  search?: { mode?: 'match' | 'include' | 'outcome' };
  resource: R;
}

export interface Bundle<R extends ResourceBase = FhirResource> {
  resourceType: 'Bundle';
  id?: string;
  meta?: Meta;
  type: 'searchset' | 'collection' | 'batch-response' | 'transaction-response';
  timestamp?: string;
  total?: number;
  link?: Array<{ relation: string; url: string }>;
  entry?: Array<BundleEntry<R>>;
}

/** The three producer resource types, as the Record Service and the pack name them. */
export const PRODUCER_RESOURCE_TYPES = ['Appointment', 'DocumentReference', 'Task'] as const;
export type ProducerResourceType = (typeof PRODUCER_RESOURCE_TYPES)[number];

export function isProducerResourceType(v: unknown): v is ProducerResourceType {
  return typeof v === 'string' && (PRODUCER_RESOURCE_TYPES as readonly string[]).includes(v);
}

export function searchsetBundle<R extends ResourceBase>(resources: R[], fullUrl?: (r: R) => string): Bundle<R> {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((resource) => ({
      ...(fullUrl ? { fullUrl: fullUrl(resource) } : {}),
      search: { mode: 'match' as const },
      resource,
    })),
  };
}

export function operationOutcome(
  code: string,
  diagnostics: string,
  severity: IssueSeverity = 'error',
  extra: Partial<OperationOutcomeIssue> = {},
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...extra }] };
}

export const SPINE_ERROR_CODES = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode';

/** `issue.details` carrying a Spine error code, as the specs' `invalidAuthToken` examples do. */
export function spineErrorDetails(code: string, display: string): Pick<OperationOutcomeIssue, 'details'> {
  return { details: { coding: [{ system: SPINE_ERROR_CODES, version: '1', code, display }] } };
}

export function isOperationOutcome(v: unknown): v is OperationOutcome {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { resourceType?: unknown }).resourceType === 'OperationOutcome' &&
    Array.isArray((v as { issue?: unknown }).issue)
  );
}

export const FHIR_JSON = 'application/fhir+json';

/** Well-known extension and identifier URLs used across the PCA specifications. */
export const PCA_URLS = {
  priority: 'https://fhir.nhs.uk/StructureDefinition/Extension-ServiceRequest-Priority',
  requestStatus: 'https://fhir.nhs.uk/StructureDefinition/Extension-Appointment-RequestStatus',
  consultationMedium: 'https://fhir.nhs.uk/StructureDefinition/Extension-Consultation-Medium',
  portalLink: 'https://fhir.nhs.uk/StructureDefinition/Extension-Portal-Link',
  readReceipt: 'https://fhir.nhs.uk/StructureDefinition/Extension-Document-ReadReceipt',
  errorSource: 'https://fhir.nhs.uk/StructureDefinition/ExtensionErrorSource',
  odsCode: 'https://fhir.nhs.uk/Id/ods-organization-code',
  ubrn: 'https://fhir.nhs.uk/Id/UBRN',
  pathwayId: 'https://fhir.nhs.uk/Id/PathwayId',
  taskTreatmentFunction: 'https://fhir.nhs.uk/StructureDefinition/Extension-Task-TreatmentFunction',
  questionnaireType: 'https://fhir.nhs.uk/StructureDefinition/Extension-Questionnaire-Type',
  specialty: 'https://fhir.nhs.uk/CodeSystem/Specialty-1',
  ersPriority: 'https://fhir.nhs.uk/CodeSystem/eRS-Priority',
  encounterClass: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
} as const;

export function findExtension(resource: { extension?: Extension[] }, url: string): Extension | undefined {
  return resource.extension?.find((e) => e.url === url);
}
