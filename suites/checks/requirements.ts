/**
 * The requirements the checks verify, as data: the producer standard's `WF-NFR-*` table, the Record
 * Service's `WF-NFR-RS-*` table, and the rules written in the body of the two specifications
 * (`PS-*` producer standard, `RSA-*` Record Service API), which have no number of their own. Every
 * id carries its namespace (`producer:`, `record-service:`). Checks cite these ids; the coverage
 * matrix is generated from them, never written by hand.
 */

/** How strongly a check's rule binds: MUST fails the run (exit 1), SHOULD is reported only. */
export type RequirementLevel = 'MUST' | 'SHOULD';

/**
 * Each specification's requirement table numbers its rows independently, so the same id means
 * different things in different specs (producer WF-NFR-08 is "N/A", consumer WF-NFR-08 is the 207
 * partial response). Ids are therefore always written with their namespace: `producer:WF-NFR-02`.
 */
export type Namespace = 'producer' | 'consumer' | 'record-service';
export const NAMESPACES: readonly Namespace[] = ['producer', 'consumer', 'record-service'];

/** The MoSCoW column of the spec's requirement table, exactly as given; rules from the spec's body have none. */
export type MoSCoW = 'M' | 'M/S';

export type RequirementSource = 'producer-standard' | 'record-service-api';

/** Who has to do what the requirement says. */
export type Actor = 'supplier-api' | 'record-service-client' | 'portal' | 'supplier-operations';

export interface Requirement {
  /** `namespace:ID`, e.g. `producer:WF-NFR-02`, `record-service:WF-NFR-RS-06`. */
  id: string;
  source: RequirementSource;
  /** Where in the source specification the rule is written. */
  section: string;
  /** Short title, as the specification names it. */
  title: string;
  /** The rule, every part of it, close to the specification's wording. */
  summary: string;
  /** The spec's MoSCoW as given; absent where the spec gives none. */
  moscow?: MoSCoW;
  actor: Actor;
  /**
   * Why no check in this catalogue can verify the requirement through the supplier's API. Shown by
   * `check --list --coverage` and the coverage view as not testable; a requirement with no citing
   * check and no reason is a gap to close.
   */
  notCheckedBecause?: string;
  /**
   * The parts of a checked requirement that cannot be observed from outside. While this is set the
   * requirement is at most partly verified, however its checks come out.
   */
  unobservable?: string;
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
    id: 'producer:WF-NFR-01',
    source: PS,
    section: NFR_TABLE,
    title: 'Response times',
    moscow: 'M/S',
    actor: 'supplier-api',
    summary:
      "Each API responds with patient data within 400 ms at P95; page loads after the deep-link hand-off should not exceed 3 s as the user perceives them, so the portal's share must be 2 s or less at P95, measured from a browser.",
    notCheckedBecause:
      'latency at P95 is measured by the load suite (`pca-harness load`, its thresholds), not by single conformance requests; portal page loads need a browser in the portal',
  },
  {
    id: 'producer:WF-NFR-02',
    source: PS,
    section: NFR_TABLE,
    title: 'Timeouts',
    moscow: 'M',
    actor: 'supplier-api',
    summary: 'Each API responds with HTTP 504 Gateway Timeout after 9,000 ms.',
    unobservable:
      "the harness cannot make the supplier's back end slow on demand, so it observes passively, waiting 12,000 ms for every answer (core/deadline.ts): `check` times every exchange and XX-36 fails any answer after 9,000 ms that is not a 504 with an OperationOutcome; `replay` judges every pull the aggregator made (the eva.deadline JUnit cases and the summary's deadline line) and `load` every answer from a supplier target (the `deadline` verdict); each names the slowest answer per endpoint. A supplier that is never slow during a run is not shown to answer 504",
  },
  {
    id: 'producer:WF-NFR-03',
    source: PS,
    section: NFR_TABLE,
    title: 'Throttling',
    moscow: 'M',
    actor: 'supplier-api',
    summary: 'Each API limits requests and responds with HTTP 429 Too Many Requests at 60 TPS.',
  },
  {
    id: 'producer:WF-NFR-04',
    source: PS,
    section: NFR_TABLE,
    title: 'Data timeliness',
    moscow: 'M',
    actor: 'supplier-api',
    summary:
      'Changes made by patients in the portal are reflected in the next aggregator request within 3 seconds, changes at source (the PAS) within 3 minutes, before any notification about the change is sent.',
    notCheckedBecause: "needs a change made inside the supplier's systems; the harness only reads through the API",
  },
  {
    id: 'producer:WF-NFR-05',
    source: PS,
    section: NFR_TABLE,
    title: 'Service availability',
    moscow: 'M',
    actor: 'supplier-operations',
    summary: 'Portal systems provide Silver (99.5%) availability.',
    notCheckedBecause: 'an operational commitment, measured in production over time',
  },
  {
    id: 'producer:WF-NFR-06',
    source: PS,
    section: NFR_TABLE,
    title: 'Releases and maintenance',
    moscow: 'M',
    actor: 'supplier-operations',
    summary:
      'Sprint cadence of 2 weeks with at least one release per sprint; during maintenance windows (at most 2 hours) the API responds with HTTP 503 Service Unavailable.',
    notCheckedBecause:
      'the 503 needs the supplier to be in a maintenance window, which the harness cannot start through the API; the release cadence is a process',
  },
  {
    id: 'producer:WF-NFR-07',
    source: PS,
    section: NFR_TABLE,
    title: 'No content for user',
    moscow: 'M',
    actor: 'supplier-api',
    summary: 'If no data is available for the patient, respond with HTTP 200 and a FHIR Bundle whose total is 0.',
  },
  {
    id: 'producer:WF-NFR-08',
    source: PS,
    section: NFR_TABLE,
    title: 'Partial response',
    moscow: 'M',
    actor: 'supplier-api',
    summary: 'N/A in the standard.',
    notCheckedBecause: 'the standard marks it N/A',
  },
  {
    id: 'producer:WF-NFR-09',
    source: PS,
    section: NFR_TABLE,
    title: 'Logging and alerting',
    moscow: 'M',
    actor: 'supplier-operations',
    summary:
      'Aggregator requests are part of the existing logging and monitoring, distinct from other log events; errors raise alarms against existing thresholds; clinical and personal data are left out of production logs; log events carrying an X-Correlation-ID are kept 90 days.',
    unobservable:
      "the supplier's logs, their 90-day retention and its alarms are inside its own systems; the harness checks only that the X-Correlation-ID is taken and echoed",
  },
  {
    id: 'producer:WF-NFR-10',
    source: PS,
    section: NFR_TABLE,
    title: 'Contract testing',
    moscow: 'M',
    actor: 'supplier-operations',
    summary:
      "Contract tests for the endpoints the aggregator uses, for the aggregator's endpoints and for NHS App Notifications & Messaging are part of the supplier's build pipeline.",
    notCheckedBecause:
      "met by running `pca-harness check` (and the Pact suite) in the supplier's CI; nothing to observe through the API",
  },
  {
    id: 'producer:WF-NFR-11',
    source: PS,
    section: NFR_TABLE,
    title: 'Volumetrics',
    moscow: 'M',
    actor: 'supplier-operations',
    summary: 'New NHS login sign-ups, deep-link launches and errors (by type) are tracked closely during beta.',
    notCheckedBecause: "reporting inside the supplier's own systems",
  },
  {
    id: 'producer:WF-NFR-12',
    source: PS,
    section: NFR_TABLE,
    title: 'Hosting',
    moscow: 'M',
    actor: 'supplier-api',
    summary: 'Portals are hosted independently; access to patient data is over the secure internet using FHIR APIs.',
    unobservable:
      'independent hosting is an arrangement, not visible through the API; the harness checks the FHIR API and the https links',
  },
  {
    id: 'producer:WF-NFR-13',
    source: PS,
    section: NFR_TABLE,
    title: 'Operations',
    moscow: 'M',
    actor: 'supplier-operations',
    summary: 'Operational response against Silver+ (99.5%) availability, with on-call DevOps escalation for outages.',
    notCheckedBecause: 'an operational commitment',
  },
  {
    id: 'producer:WF-NFR-14',
    source: PS,
    section: NFR_TABLE,
    title: 'Authentication',
    moscow: 'M',
    actor: 'supplier-api',
    summary:
      "Portal systems are certified to use NHS login; before returning patient data they cross-check the NHS number in the request against the ID token's date of birth, at a minimum; every API call in or out uses the OAuth 2.0 client credentials flow; API keys are rotated at most 90 days apart, and at once when a key may have been compromised.",
    unobservable:
      'NHS login certification and API key rotation (every 90 days, and on suspected compromise) happen outside the API; the harness checks the OAuth bearer, the ID token and the cross-checks',
  },
  {
    id: 'producer:WF-NFR-15',
    source: PS,
    section: NFR_TABLE,
    title: 'User data revocation or request',
    moscow: 'M',
    actor: 'supplier-operations',
    summary:
      'Use existing mechanisms for requests to the data controller (trusts limit data from the PAS) and account deletion (which covers revoking portal processing).',
    notCheckedBecause: 'a process inside the trust and the portal',
  },
  {
    id: 'producer:WF-NFR-16',
    source: PS,
    section: NFR_TABLE,
    title: 'Age restriction',
    moscow: 'M',
    actor: 'supplier-api',
    summary:
      'Portals get no aggregator requests for under-16s (the aggregator checks the date of birth first; the harness still expects a 403 should one arrive); no under-16 NHS numbers are sent to the Record Service; the portal can resend, on request, all relevant records to all three Record Services, excluding anyone under 16.',
    unobservable:
      'the resend on request is an operational action the harness cannot ask for through an API; `pca-harness replay` can watch one that the supplier starts',
  },
  {
    id: 'producer:WF-NFR-17',
    source: PS,
    section: NFR_TABLE,
    title: 'Access to personal identifiable data',
    moscow: 'M',
    actor: 'supplier-api',
    summary:
      "Use existing controls; document and questionnaire names sent to the aggregator contain no personal identifiable data (the person's name(s), date of birth, postcode, etc.; the harness also looks for the NHS number and address lines).",
  },
  {
    id: 'producer:WF-NFR-18',
    source: PS,
    section: NFR_TABLE,
    title: 'Inactivity timeouts',
    moscow: 'M',
    actor: 'portal',
    summary:
      'Front- and back-end sessions time out after at most 10 minutes of inactivity (the NHS App value), with a warning at 9 minutes; afterwards the app returns to the NHS App login and a browser shows a close-the-tab message; session cookies are cleaned.',
    notCheckedBecause: 'front-end behaviour of the portal, not testable through the API',
  },

  // ---- Producer standard: rules in the body of the specification ----
  {
    id: 'producer:PS-SEARCHSET',
    source: PS,
    section: 'components/schemas: Bundle, Appointment, DocumentReference, Task',
    title: 'Searchset Bundle',
    actor: 'supplier-api',
    summary:
      "A 200 response is a FHIR R4 searchset Bundle whose entries are the endpoint's resources, valid against the standard's schemas, with Bundle.total counting its entries.",
  },
  {
    id: 'producer:PS-NO-DATA',
    source: PS,
    section: 'paths: "Patients with no appointments / document references / tasks"',
    title: 'Patients with no data',
    actor: 'supplier-api',
    summary:
      'A patient with nothing to show (including after the exclusion rules) gets 200 and a Bundle with no entries.',
  },
  {
    id: 'producer:PS-FHIR-JSON',
    source: PS,
    section: 'components/responses: content application/fhir+json',
    title: 'FHIR JSON media type',
    actor: 'supplier-api',
    summary: 'Responses are `application/fhir+json`.',
  },
  {
    id: 'producer:PS-CORRELATION-ID',
    source: PS,
    section: 'components/parameters/xCorrelationId, components/headers/xCorrelationId',
    title: 'X-Correlation-ID',
    actor: 'supplier-api',
    summary: 'Every request carries X-Correlation-ID; the response echoes the value back.',
  },
  {
    id: 'producer:PS-PATIENT-IDENTIFIER',
    source: PS,
    section: 'components/parameters/nhsNumber; 4XX table',
    title: 'patient:identifier',
    actor: 'supplier-api',
    summary:
      '`patient:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>` is required; a missing or invalid value gets HTTP 400.',
  },
  {
    id: 'producer:PS-OAUTH',
    source: PS,
    section: 'Security and authorisation; 4XX table',
    title: 'OAuth 2.0 bearer token',
    actor: 'supplier-api',
    summary: 'The API authenticates the aggregator with OAuth 2.0; a missing or invalid bearer token gets HTTP 401.',
  },
  {
    id: 'producer:PS-ID-TOKEN',
    source: PS,
    section: 'components/parameters/nhsdIdToken; 4XX table',
    title: 'NHS login ID token',
    actor: 'supplier-api',
    summary:
      'NHSD-ID-Token is required; verify it as OpenID Connect Core 3.1.3.7 says (signature with the NHS login JWKS and its algorithm, issuer, audience, authorised party, expiry), that it is for the requested patient and proofed to P9; otherwise HTTP 401.',
  },
  {
    id: 'producer:PS-UNDER-16',
    source: PS,
    section: '4XX table; examples/under16; inclusion rules "Under 16s"',
    title: 'Under 16s',
    actor: 'supplier-api',
    summary:
      "When the ID token's birth date makes the patient under 16, answer HTTP 403 with an OperationOutcome `forbidden`, diagnostics `UNDER_16_DENIED`.",
  },
  {
    id: 'producer:PS-OPERATION-OUTCOME',
    source: PS,
    section: 'components/responses/4XX and 5XX',
    title: 'Errors as OperationOutcome',
    actor: 'supplier-api',
    summary:
      'Error responses are a FHIR OperationOutcome (issue[] with severity and code, diagnostics explaining what went wrong), which the aggregator reports per source.',
  },
  {
    id: 'producer:PS-PATIENT-SCOPE',
    source: PS,
    section: 'paths: Overview ("for a given patient")',
    title: 'Only the requested patient',
    actor: 'supplier-api',
    summary: 'The endpoint returns the records of the patient named in patient:identifier and of nobody else.',
  },
  {
    id: 'producer:PS-INCLUDE-CANCELLED',
    source: PS,
    section: '/Appointment: inclusion and exclusion rules',
    title: 'Cancelled appointments included',
    actor: 'supplier-api',
    summary: 'Include all appointments in scope, future and historic, including cancelled appointments.',
  },
  {
    id: 'producer:PS-CONSULTATION-MEDIUM',
    source: PS,
    section: 'components/schemas/Appointment: extension Consultation-Medium',
    title: 'Consultation medium',
    actor: 'supplier-api',
    summary:
      'Every appointment carries the Consultation-Medium extension with FACE_TO_FACE, VIDEO_CONSULTATION or TELEPHONE (VIRTUAL is deprecated and filtered out).',
  },
  {
    id: 'producer:PS-PORTAL-LINK',
    source: PS,
    section: 'components/schemas/Appointment: extension Portal-Link',
    title: 'Appointment deep link',
    actor: 'supplier-api',
    summary: 'Every appointment carries the Portal-Link extension: the deep link to the appointment in the portal.',
  },
  {
    id: 'producer:PS-DOCUMENT-LINK',
    source: PS,
    section: 'components/schemas/DocumentReference: content.attachment.url',
    title: 'Document deep link',
    actor: 'supplier-api',
    summary: "Every document's content.attachment.url is the portal deep link to the document.",
  },
  {
    id: 'producer:PS-QUESTIONNAIRE-LINK',
    source: PS,
    section: 'components/schemas/Task: reasonReference.reference',
    title: 'Questionnaire deep link',
    actor: 'supplier-api',
    summary: "Every task's reasonReference.reference is the portal deep link to the questionnaire.",
  },
  {
    id: 'producer:PS-TASK-DATES',
    source: PS,
    section: 'components/schemas/Task: lastModified',
    title: 'Questionnaire dates',
    actor: 'supplier-api',
    summary:
      'Task.lastModified, the date and time the questionnaire was completed, must be greater than or equal to the authored date.',
  },
  {
    id: 'producer:PS-MIV2-TRACKING',
    source: PS,
    section: 'Overview: Patient Care Aggregator Reporting Service API considerations',
    title: 'Deep-link tracking for MIv2 reporting',
    actor: 'supplier-api',
    summary:
      'Portals that send Wayfinder events with MIv2 add extSystemName (their descriptive name) and trackingId to the deep link: the X-Correlation-ID of the aggregator request for Wayfinder-page journeys, a fresh unique value for in-app message journeys.',
    unobservable:
      'in-app message journeys (a fresh tracking id per message) do not pass through the API; the harness judges the Wayfinder-page links it receives, and only when the supplier declares MIv2 reporting (--miv2)',
  },
  {
    id: 'producer:PS-EXCLUSION-RULES',
    source: PS,
    section: 'paths: inclusion and exclusion rules (SRCBR1a-SRCBR4)',
    title: 'Exclusion rules',
    actor: 'supplier-api',
    summary:
      'Exclude patients flagged by the trust or sensitive in PDS, excluded clinics and specialities, ghost and hidden appointments.',
    notCheckedBecause:
      "depends on flags inside the supplier's PAS; the EVA comparator (`pca-harness replay`) verifies it against the pack's flagged patients",
  },
  {
    id: 'producer:PS-CAPACITY',
    source: PS,
    section: 'paths: "Capacity and response times"',
    title: 'Capacity',
    actor: 'supplier-api',
    summary: 'Each endpoint answers within 400 ms at P95 at 25 TPS.',
    notCheckedBecause: 'measured by the load suite (`pca-harness load`), not by a conformance request',
  },

  // ---- Record Service API: the WF-NFR-RS table ----
  {
    id: 'record-service:WF-NFR-RS-01',
    source: RSA,
    section: NFR_TABLE,
    title: 'Single record upload',
    moscow: 'M',
    actor: 'record-service-client',
    summary:
      "Send a patient's NHS number when they get a new appointment, document or questionnaire; on 200 mark it uploaded and do not send it again.",
  },
  {
    id: 'record-service:WF-NFR-RS-02',
    source: RSA,
    section: NFR_TABLE,
    title: 'Single record upload: error handling',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'Log failed uploads, track which records were not uploaded and replay them once the problem is resolved.',
  },
  {
    id: 'record-service:WF-NFR-RS-03',
    source: RSA,
    section: NFR_TABLE,
    title: 'Batch upload',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'Batch no more than 5,000 records per call; on 200 mark the whole batch uploaded.',
  },
  {
    id: 'record-service:WF-NFR-RS-04',
    source: RSA,
    section: NFR_TABLE,
    title: 'Batch upload: error handling',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'Log a failed batch, identify its records and replay them once the problem is resolved.',
  },
  {
    id: 'record-service:WF-NFR-RS-05',
    source: RSA,
    section: NFR_TABLE,
    title: 'Bulk load',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'Be able to upload all relevant patients before go-live and track those transactions.',
  },
  {
    id: 'record-service:WF-NFR-RS-06',
    source: RSA,
    section: NFR_TABLE,
    title: 'Corrupted or missing data',
    actor: 'record-service-client',
    summary:
      'Replay everything on request while continuing live uploads; report the count of distinct NHS numbers uploaded up to a point in time.',
  },
  {
    id: 'record-service:WF-NFR-RS-07',
    source: RSA,
    section: NFR_TABLE,
    title: 'Unavailable',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'When the Record Service is unavailable, log and replay every record that could not be uploaded.',
  },
  {
    id: 'record-service:WF-NFR-RS-08',
    source: RSA,
    section: NFR_TABLE,
    title: 'Performance',
    moscow: 'M',
    actor: 'record-service-client',
    summary: 'N/A in the specification.',
    notCheckedBecause: 'the specification marks it N/A',
  },
  {
    id: 'record-service:WF-NFR-RS-09',
    source: RSA,
    section: NFR_TABLE,
    title: 'Trust onboarding, record reconciliation',
    moscow: 'M',
    actor: 'record-service-client',
    summary:
      'Seed the Record Service with every NHS number for a new trust and report the count of distinct NHS numbers uploaded up to a point in time.',
  },

  // ---- Record Service API: rules in the body of the specification ----
  {
    id: 'record-service:RSA-PATH',
    source: RSA,
    section: 'paths: POST /records; servers',
    title: 'POST /records',
    actor: 'record-service-client',
    summary:
      'Uploads are `POST {base}/records` with a JSON body; INT answers 200 to `/records/` (trailing slash) and registers nothing.',
  },
  {
    id: 'record-service:RSA-CLIENT-ID',
    source: RSA,
    section: 'Security and authorisation; requestBody.clientId',
    title: 'Client ID',
    actor: 'record-service-client',
    summary: 'Every call carries the clientId issued for that resource type, matching the API key it is sent with.',
  },
  {
    id: 'record-service:RSA-NHS-NUMBERS',
    source: RSA,
    section: 'requestBody.nhsNumbers',
    title: 'NHS numbers',
    actor: 'record-service-client',
    summary: 'nhsNumbers holds 1 or more valid NHS numbers (`^[1-9][0-9]{9}$`, Modulus 11 check digit).',
  },
  {
    id: 'record-service:RSA-BATCH-LIMIT',
    source: RSA,
    section: 'paths: "Batching and timing rules"',
    title: 'Batch limit',
    actor: 'record-service-client',
    summary: 'At most 5,000 NHS numbers per call in production and 200 in non-production environments.',
  },
  {
    id: 'record-service:RSA-EXCLUSIONS',
    source: RSA,
    section: 'paths: "Inclusion and exclusion rules"',
    title: 'Who not to send',
    actor: 'record-service-client',
    summary:
      'Do not send NHS numbers of sensitive patients or of patients under 16; send every other registered patient.',
  },
  {
    id: 'record-service:RSA-RETRY',
    source: RSA,
    section: 'paths: "Batching and timing rules"',
    title: 'Retry with back-off',
    actor: 'record-service-client',
    summary:
      'If a call fails, keep track of the NHS numbers not yet sent and re-send them with an appropriate back-off.',
  },
];

const BY_ID = new Map(REQUIREMENTS.map((r) => [r.id, r]));

/** `producer:WF-NFR-02` -> `producer`. */
export function namespaceOf(id: string): Namespace | undefined {
  const ns = id.slice(0, id.indexOf(':'));
  return (NAMESPACES as readonly string[]).includes(ns) ? (ns as Namespace) : undefined;
}

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
