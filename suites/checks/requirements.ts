/**
 * The requirements the checks verify, as data: the standard's `WF-NFR-*` table, the Record
 * Service's `WF-NFR-RS-*` table, and the rules written in the body of the two specifications
 * (`PS-*` producer standard, `RSA-*` Record Service API), which have no number of their own.
 * Checks cite these ids; the coverage matrix is generated from them, never written by hand.
 */

export type RequirementLevel = 'MUST' | 'SHOULD';

export type RequirementSource = 'producer-standard' | 'record-service-api';

/** Who has to do what the requirement says. */
export type Actor = 'supplier-api' | 'record-service-client' | 'portal' | 'supplier-operations';

export interface Requirement {
  id: string;
  source: RequirementSource;
  /** Where in the source specification the rule is written. */
  section: string;
  /** Short title, as the specification names it. */
  title: string;
  /** The rule in a sentence, close to the specification's wording. */
  summary: string;
  level: RequirementLevel;
  actor: Actor;
  /**
   * Why no check in this catalogue verifies the requirement (yet). Shown by `check --list --coverage`;
   * a requirement with no citing check and no reason is a gap to close.
   */
  notCheckedBecause?: string;
}

export const SPEC_URLS: Record<RequirementSource, string> = {
  'producer-standard':
    'https://digital.nhs.uk/developer/api-catalogue/patient-care-aggregator-get-appointments/patient-care-aggregator-get-appointments-api-standard',
  'record-service-api':
    'https://digital.nhs.uk/developer/api-catalogue/patient-care-aggregator-record-service/patient-care-aggregator-record-service-api',
};

export const SOURCE_NAMES: Record<RequirementSource, string> = {
  'producer-standard': 'Get Appointments, Documents and Questionnaires API Standard v3.12.0',
  'record-service-api': 'Record Service API v1.0.2',
};

const PS = 'producer-standard' as const;
const RSA = 'record-service-api' as const;
const NFR_TABLE = 'Overview: requirements table';

export const REQUIREMENTS: readonly Requirement[] = [
  // ---- Producer standard: the WF-NFR table ----
  {
    id: 'WF-NFR-01',
    source: PS,
    section: NFR_TABLE,
    title: 'Response times',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      "Each API responds with patient data within 400 ms at P95; portal page loads after the deep-link hand-off within 2 s of the portal's share.",
    notCheckedBecause:
      'latency is measured by the load suite (`pca-harness load`, PF-* checks), not by a single conformance request',
  },
  {
    id: 'WF-NFR-02',
    source: PS,
    section: NFR_TABLE,
    title: 'Timeouts',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Each API responds with HTTP 504 Gateway Timeout after 9,000 ms.',
    notCheckedBecause: "needs the supplier's own back end to be slow; the harness cannot make it so through the API",
  },
  {
    id: 'WF-NFR-03',
    source: PS,
    section: NFR_TABLE,
    title: 'Throttling',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Each API limits requests and responds with HTTP 429 Too Many Requests at 60 TPS.',
  },
  {
    id: 'WF-NFR-04',
    source: PS,
    section: NFR_TABLE,
    title: 'Data timeliness',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Changes made in the portal are visible to the aggregator within 3 seconds, changes at source within 3 minutes.',
    notCheckedBecause: "needs a change made inside the supplier's systems; the harness only reads through the API",
  },
  {
    id: 'WF-NFR-05',
    source: PS,
    section: NFR_TABLE,
    title: 'Service availability',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: 'Portal systems provide Silver (99.5%) availability.',
    notCheckedBecause: 'an operational commitment, measured in production over time',
  },
  {
    id: 'WF-NFR-06',
    source: PS,
    section: NFR_TABLE,
    title: 'Releases and maintenance',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: 'Two-week release cadence; during maintenance windows (at most 2 hours) the API responds with HTTP 503.',
    notCheckedBecause: 'needs the supplier to be in a maintenance window; not reachable through the API on demand',
  },
  {
    id: 'WF-NFR-07',
    source: PS,
    section: NFR_TABLE,
    title: 'No content for user',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'If no data is available for the patient, respond with HTTP 200 and a FHIR Bundle whose total is 0.',
  },
  {
    id: 'WF-NFR-08',
    source: PS,
    section: NFR_TABLE,
    title: 'Partial response',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'N/A in the standard.',
    notCheckedBecause: 'the standard marks it N/A',
  },
  {
    id: 'WF-NFR-09',
    source: PS,
    section: NFR_TABLE,
    title: 'Logging and alerting',
    level: 'MUST',
    actor: 'supplier-operations',
    summary:
      'Aggregator requests are logged with their X-Correlation-ID (kept 90 days), without clinical or personal data; errors raise alarms.',
  },
  {
    id: 'WF-NFR-10',
    source: PS,
    section: NFR_TABLE,
    title: 'Contract testing',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: "Contract tests for the endpoints the aggregator uses are part of the supplier's build pipeline.",
    notCheckedBecause:
      "met by running `pca-harness check` (and the Pact suite) in the supplier's CI; nothing to observe through the API",
  },
  {
    id: 'WF-NFR-11',
    source: PS,
    section: NFR_TABLE,
    title: 'Volumetrics',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: 'Sign-ups, deep-link launches and errors are tracked during beta.',
    notCheckedBecause: "reporting inside the supplier's own systems",
  },
  {
    id: 'WF-NFR-12',
    source: PS,
    section: NFR_TABLE,
    title: 'Hosting',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Portals are hosted independently; access to patient data is over the secure internet using FHIR APIs.',
  },
  {
    id: 'WF-NFR-13',
    source: PS,
    section: NFR_TABLE,
    title: 'Operations',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: 'Operational response against Silver+ availability, with on-call escalation.',
    notCheckedBecause: 'an operational commitment',
  },
  {
    id: 'WF-NFR-14',
    source: PS,
    section: NFR_TABLE,
    title: 'Authentication',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'OAuth 2.0 client credentials for system calls; cross-check the request NHS number against the NHS login ID token (and its date of birth) before returning patient data.',
  },
  {
    id: 'WF-NFR-15',
    source: PS,
    section: NFR_TABLE,
    title: 'User data revocation or request',
    level: 'MUST',
    actor: 'supplier-operations',
    summary: 'Use existing mechanisms for data-controller requests and account deletion.',
    notCheckedBecause: 'a process inside the trust and the portal',
  },
  {
    id: 'WF-NFR-16',
    source: PS,
    section: NFR_TABLE,
    title: 'Age restriction',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'No patient data for under-16s, and no under-16 NHS numbers sent to the Record Service.',
  },
  {
    id: 'WF-NFR-17',
    source: PS,
    section: NFR_TABLE,
    title: 'Access to personal identifiable data',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Names and descriptions sent to the aggregator contain no personal identifiable data (name, date of birth, NHS number, postcode).',
  },
  {
    id: 'WF-NFR-18',
    source: PS,
    section: NFR_TABLE,
    title: 'Inactivity timeouts',
    level: 'MUST',
    actor: 'portal',
    summary: 'Portal sessions time out after at most 10 minutes of inactivity, with a warning at 9 minutes.',
    notCheckedBecause: 'front-end behaviour of the portal, not testable through the API',
  },

  // ---- Producer standard: rules in the body of the specification ----
  {
    id: 'PS-SEARCHSET',
    source: PS,
    section: 'components/schemas: Bundle, Appointment, DocumentReference, Task',
    title: 'Searchset Bundle',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      "A 200 response is a FHIR R4 searchset Bundle whose entries are the endpoint's resources, valid against the standard's schemas, with Bundle.total counting its entries.",
  },
  {
    id: 'PS-NO-DATA',
    source: PS,
    section: 'paths: "Patients with no appointments / document references / tasks"',
    title: 'Patients with no data',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'A patient with nothing to show (including after the exclusion rules) gets 200 and a Bundle with no entries.',
  },
  {
    id: 'PS-FHIR-JSON',
    source: PS,
    section: 'components/responses: content application/fhir+json',
    title: 'FHIR JSON media type',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Responses are `application/fhir+json`.',
  },
  {
    id: 'PS-CORRELATION-ID',
    source: PS,
    section: 'components/parameters/xCorrelationId, components/headers/xCorrelationId',
    title: 'X-Correlation-ID',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Every request carries X-Correlation-ID; the response echoes the value back.',
  },
  {
    id: 'PS-PATIENT-IDENTIFIER',
    source: PS,
    section: 'components/parameters/nhsNumber; 4XX table',
    title: 'patient:identifier',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      '`patient:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>` is required; a missing or invalid value gets HTTP 400.',
  },
  {
    id: 'PS-OAUTH',
    source: PS,
    section: 'Security and authorisation; 4XX table',
    title: 'OAuth 2.0 bearer token',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'The API authenticates the aggregator with OAuth 2.0; a missing or invalid bearer token gets HTTP 401.',
  },
  {
    id: 'PS-ID-TOKEN',
    source: PS,
    section: 'components/parameters/nhsdIdToken; 4XX table',
    title: 'NHS login ID token',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Verify NHSD-ID-Token with NHS login (signature, issuer, expiry), that it is for the requested patient and proofed to P9; otherwise HTTP 401.',
  },
  {
    id: 'PS-UNDER-16',
    source: PS,
    section: '4XX table; examples/under16; inclusion rules "Under 16s"',
    title: 'Under 16s',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      "When the ID token's birth date makes the patient under 16, answer HTTP 403 with an OperationOutcome `forbidden`, diagnostics `UNDER_16_DENIED`.",
  },
  {
    id: 'PS-OPERATION-OUTCOME',
    source: PS,
    section: 'components/responses/4XX and 5XX',
    title: 'Errors as OperationOutcome',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Error responses are a FHIR OperationOutcome (issue[] with severity and code, diagnostics explaining what went wrong), which the aggregator reports per source.',
  },
  {
    id: 'PS-PATIENT-SCOPE',
    source: PS,
    section: 'paths: Overview ("for a given patient")',
    title: 'Only the requested patient',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'The endpoint returns the records of the patient named in patient:identifier and of nobody else.',
  },
  {
    id: 'PS-INCLUDE-CANCELLED',
    source: PS,
    section: '/Appointment: inclusion and exclusion rules',
    title: 'Cancelled appointments included',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Include all appointments in scope, future and historic, including cancelled appointments.',
  },
  {
    id: 'PS-CONSULTATION-MEDIUM',
    source: PS,
    section: 'components/schemas/Appointment: extension Consultation-Medium',
    title: 'Consultation medium',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Every appointment carries the Consultation-Medium extension with FACE_TO_FACE, VIDEO_CONSULTATION or TELEPHONE (VIRTUAL is deprecated and filtered out).',
  },
  {
    id: 'PS-PORTAL-LINK',
    source: PS,
    section: 'components/schemas/Appointment: extension Portal-Link',
    title: 'Appointment deep link',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Every appointment carries the Portal-Link extension: the deep link to the appointment in the portal.',
  },
  {
    id: 'PS-DOCUMENT-LINK',
    source: PS,
    section: 'components/schemas/DocumentReference: content.attachment.url',
    title: 'Document deep link',
    level: 'MUST',
    actor: 'supplier-api',
    summary: "Every document's content.attachment.url is the portal deep link to the document.",
  },
  {
    id: 'PS-QUESTIONNAIRE-LINK',
    source: PS,
    section: 'components/schemas/Task: reasonReference.reference',
    title: 'Questionnaire deep link',
    level: 'MUST',
    actor: 'supplier-api',
    summary: "Every task's reasonReference.reference is the portal deep link to the questionnaire.",
  },
  {
    id: 'PS-EXCLUSION-RULES',
    source: PS,
    section: 'paths: inclusion and exclusion rules (SRCBR1a-SRCBR4)',
    title: 'Exclusion rules',
    level: 'MUST',
    actor: 'supplier-api',
    summary:
      'Exclude patients flagged by the trust or sensitive in PDS, excluded clinics and specialities, ghost and hidden appointments.',
    notCheckedBecause:
      "depends on flags inside the supplier's PAS; the EVA comparator (`pca-harness replay`) verifies it against the pack's flagged patients",
  },
  {
    id: 'PS-CAPACITY',
    source: PS,
    section: 'paths: "Capacity and response times"',
    title: 'Capacity',
    level: 'MUST',
    actor: 'supplier-api',
    summary: 'Each endpoint answers within 400 ms at P95 at 25 TPS.',
    notCheckedBecause: 'measured by the load suite (`pca-harness load`), not by a conformance request',
  },

  // ---- Record Service API: the WF-NFR-RS table ----
  {
    id: 'WF-NFR-RS-01',
    source: RSA,
    section: NFR_TABLE,
    title: 'Single record upload',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      "Send a patient's NHS number when they get a new appointment, document or questionnaire; on 200 mark it uploaded and do not send it again.",
  },
  {
    id: 'WF-NFR-RS-02',
    source: RSA,
    section: NFR_TABLE,
    title: 'Single record upload: error handling',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'Log failed uploads, track which records were not uploaded and replay them once the problem is resolved.',
  },
  {
    id: 'WF-NFR-RS-03',
    source: RSA,
    section: NFR_TABLE,
    title: 'Batch upload',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'Batch no more than 5,000 records per call; on 200 mark the whole batch uploaded.',
  },
  {
    id: 'WF-NFR-RS-04',
    source: RSA,
    section: NFR_TABLE,
    title: 'Batch upload: error handling',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'Log a failed batch, identify its records and replay them once the problem is resolved.',
  },
  {
    id: 'WF-NFR-RS-05',
    source: RSA,
    section: NFR_TABLE,
    title: 'Bulk load',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'Be able to upload all relevant patients before go-live and track those transactions.',
  },
  {
    id: 'WF-NFR-RS-06',
    source: RSA,
    section: NFR_TABLE,
    title: 'Corrupted or missing data',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      'Replay everything on request while continuing live uploads; report the count of distinct NHS numbers uploaded up to a point in time.',
  },
  {
    id: 'WF-NFR-RS-07',
    source: RSA,
    section: NFR_TABLE,
    title: 'Unavailable',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'When the Record Service is unavailable, log and replay every record that could not be uploaded.',
  },
  {
    id: 'WF-NFR-RS-08',
    source: RSA,
    section: NFR_TABLE,
    title: 'Performance',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'N/A in the specification.',
    notCheckedBecause: 'the specification marks it N/A',
  },
  {
    id: 'WF-NFR-RS-09',
    source: RSA,
    section: NFR_TABLE,
    title: 'Trust onboarding, record reconciliation',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      'Seed the Record Service with every NHS number for a new trust and report the count of distinct NHS numbers uploaded up to a point in time.',
  },

  // ---- Record Service API: rules in the body of the specification ----
  {
    id: 'RSA-PATH',
    source: RSA,
    section: 'paths: POST /records; servers',
    title: 'POST /records',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      'Uploads are `POST {base}/records` with a JSON body; INT answers 200 to `/records/` (trailing slash) and registers nothing.',
  },
  {
    id: 'RSA-CLIENT-ID',
    source: RSA,
    section: 'Security and authorisation; requestBody.clientId',
    title: 'Client ID',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'Every call carries the clientId issued for that resource type, matching the API key it is sent with.',
  },
  {
    id: 'RSA-NHS-NUMBERS',
    source: RSA,
    section: 'requestBody.nhsNumbers',
    title: 'NHS numbers',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'nhsNumbers holds 1 or more valid NHS numbers (`^[1-9][0-9]{9}$`, Modulus 11 check digit).',
  },
  {
    id: 'RSA-BATCH-LIMIT',
    source: RSA,
    section: 'paths: "Batching and timing rules"',
    title: 'Batch limit',
    level: 'MUST',
    actor: 'record-service-client',
    summary: 'At most 5,000 NHS numbers per call in production and 200 in non-production environments.',
  },
  {
    id: 'RSA-EXCLUSIONS',
    source: RSA,
    section: 'paths: "Inclusion and exclusion rules"',
    title: 'Who not to send',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      'Do not send NHS numbers of sensitive patients or of patients under 16; send every other registered patient.',
  },
  {
    id: 'RSA-RETRY',
    source: RSA,
    section: 'paths: "Batching and timing rules"',
    title: 'Retry with back-off',
    level: 'MUST',
    actor: 'record-service-client',
    summary:
      'If a call fails, keep track of the NHS numbers not yet sent and re-send them with an appropriate back-off.',
  },
];

const BY_ID = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function requirement(id: string): Requirement {
  const r = BY_ID.get(id);
  if (!r) throw new Error(`unknown requirement "${id}"`);
  return r;
}

export function isRequirementId(id: string): boolean {
  return BY_ID.has(id);
}

export function requirementUrl(r: Requirement): string {
  return SPEC_URLS[r.source];
}
