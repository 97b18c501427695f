/**
 * Every reason the mock Record Service can give for not registering (or only partly registering) a
 * call, as data: what it is, how each mode answers it and how to fix it. The HTTP layer, the
 * diagnostics endpoint, `pca-harness explain` and docs/record-service.md all read this table, so a
 * reason is described once.
 */
import type { Mode } from '../../core/config';

/** The `code` values of the Record Service error body; the spec names the first two. */
export type RecordsErrorCode =
  | 'error.bad-request'
  | 'error.unauthorized'
  | 'error.not-found'
  | 'error.method-not-allowed'
  | 'error.unsupported-media-type'
  | 'error.payload-too-large'
  | 'error.internal-server-error'
  | 'error.service-unavailable'
  | 'error.gateway-timeout';

/**
 * - `call`: nothing in the call is registered;
 * - `number`: that NHS number is not registered (in strict mode the whole batch is refused);
 * - `note`: the numbers were registered, but there is something the sender should know.
 */
export type ReasonKind = 'call' | 'number' | 'note';

/** How a mode answers a call that has this reason: an error status and code, or 200 with a warning. */
export type ModeAnswer = { status: number; code: RecordsErrorCode } | 'accept';

export interface ReasonEntry {
  code: ReasonCode;
  title: string;
  kind: ReasonKind;
  strict: ModeAnswer;
  int: ModeAnswer;
  /** What to change so the call registers; written for the person running the supplier's system. */
  fix: string;
  /** Where the rule comes from. */
  source: string;
  /** How the answer reads in the docs when the status is not fixed. */
  answerText?: { strict?: string; int?: string };
}

export const REASON_CODES = [
  'trailing-slash',
  'missing-authorization',
  'authorization-not-bearer',
  'unknown-api-key',
  'token-not-issued-here',
  'token-expired',
  'token-audience',
  'wrong-content-type',
  'unsupported-charset',
  'body-too-large',
  'malformed-json',
  'invalid-request-body',
  'client-id-placeholder',
  'unknown-client-id',
  'client-id-mismatch',
  'batch-over-limit',
  'nhs-number-pattern',
  'check-digit',
  'not-synthetic',
  'under-16',
  'sensitive',
  'excluded-by-trust',
  'duplicate-in-batch',
  'unknown-body-field',
  'no-supplier-endpoint',
  'contract-checks-not-passed',
  'fault-injected',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

const badRequest: ModeAnswer = { status: 400, code: 'error.bad-request' };
const unauthorized: ModeAnswer = { status: 401, code: 'error.unauthorized' };

const SPEC = 'Record Service API, POST /records';

/**
 * In array order, which is also the precedence of the status a strict answer takes when a call
 * has several reasons (the path first, then the credential, then the body, then the numbers).
 */
export const REASON_CATALOGUE: readonly ReasonEntry[] = [
  {
    code: 'trailing-slash',
    title: 'The path has a trailing slash: the Record Service endpoint is POST /records',
    kind: 'call',
    strict: { status: 404, code: 'error.not-found' },
    int: 'accept',
    answerText: { int: '200 whatever else is wrong, warning header' },
    fix: `Send the request to /records, without the trailing slash. The spec's environment table lists the endpoints as ".../records/", but its path is /records, NHS England's reply in the developer forum thread that started this project advises /records, and a supplier in that thread reported POST /records/ being answered 200 with nothing registered. The harness refuses the trailing slash (in strict mode) so that cannot pass unnoticed: a 200 alone proves nothing.`,
    source: `${SPEC} (path /records; its environment table lists ".../records/"); NHS England's forum reply advises /records; the silent 200 was reported by a supplier in that thread`,
  },
  {
    code: 'missing-authorization',
    title: 'No Authorization header',
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: 'Send "Authorization: Bearer <API key>" with the API key issued for this environment and clientId, or "Authorization: Bearer <access token>" from the API-platform token endpoint.',
    source: `${SPEC} (Authorization header, required)`,
  },
  {
    code: 'authorization-not-bearer',
    title: 'The Authorization header is not "Bearer <credential>"',
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: 'Use the "Bearer" scheme: "Authorization: Bearer <API key>" (one space, no quotes, no "Basic", not the bare key).',
    source: `${SPEC} (bearerAuth security scheme)`,
  },
  {
    code: 'unknown-api-key',
    title: 'The credential in the Authorization header is not an API key or access token this environment issued',
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: "Use the API key issued for this environment (each environment has its own key; in the harness it is platform.clients[].apiKey in pca-harness.config.json), or an access token from this environment's /oauth2/token. Check for a key from another environment, a stray newline or a placeholder left in configuration.",
    source: `${SPEC} (401 error.unauthorized: unrecognised token or API key)`,
  },
  {
    code: 'token-not-issued-here',
    title: "The credential is a signed token, but not one this environment's token endpoint issued",
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: "Request the access token from this environment's token URL (client credentials with a signed JWT client assertion) and send it unchanged; tokens from another environment or another harness state directory do not verify here.",
    source: 'API platform signed-JWT authentication (access token issued by /oauth2/token)',
  },
  {
    code: 'token-expired',
    title: 'The access token has expired, or is not valid yet (nbf or iat in the future)',
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: 'Access tokens live for expires_in seconds (599). Cache the token with its expiry and fetch a new one shortly before it runs out, or when a call answers 401, then resend the batch. A token not valid yet means the clocks disagree: keep the signing machine on NTP.',
    source: 'API platform signed-JWT authentication (expires_in)',
  },
  {
    code: 'token-audience',
    title: "The access token was issued for another environment (its aud is not this environment's token URL)",
    kind: 'call',
    strict: unauthorized,
    int: unauthorized,
    fix: 'Get the token from the token URL of the environment you are sending to; configure the token URL and the Record Service URL per environment, together.',
    source: 'API platform signed-JWT authentication (aud)',
  },
  {
    code: 'wrong-content-type',
    title: 'The request body is not declared as JSON',
    kind: 'call',
    strict: { status: 415, code: 'error.unsupported-media-type' },
    int: { status: 415, code: 'error.unsupported-media-type' },
    fix: 'Send "Content-Type: application/json" with a JSON body.',
    source: `${SPEC} (requestBody content application/json)`,
  },
  {
    code: 'unsupported-charset',
    title: 'The body is declared in a character set other than UTF-8',
    kind: 'call',
    strict: { status: 415, code: 'error.unsupported-media-type' },
    int: { status: 415, code: 'error.unsupported-media-type' },
    fix: 'Encode the JSON body as UTF-8 and declare it so ("Content-Type: application/json", or with "; charset=utf-8"); other character sets are not read.',
    source: 'RFC 8259 section 8.1 (JSON exchanged between systems MUST be UTF-8)',
  },
  {
    code: 'body-too-large',
    title: 'The request body is larger than the service accepts',
    kind: 'call',
    strict: { status: 413, code: 'error.payload-too-large' },
    int: { status: 413, code: 'error.payload-too-large' },
    fix: 'Send fewer NHS numbers per call (at most the batch limit of the environment) and no other data.',
    source: `${SPEC} (maxItems); WF-NFR-RS-03`,
  },
  {
    code: 'malformed-json',
    title: 'The request body is not valid JSON',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Serialise the body with a JSON library (not string concatenation): {"clientId": "...", "nhsNumbers": ["..."]}.',
    source: `${SPEC} (400 error.bad-request: invalid JSON)`,
  },
  {
    code: 'invalid-request-body',
    title: 'The request body does not have the shape the spec requires',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Send a JSON object with exactly "clientId" (a string) and "nhsNumbers" (an array of 1 or more strings).',
    source: `${SPEC} (request body schema)`,
  },
  {
    code: 'client-id-placeholder',
    title: 'The clientId is a placeholder, not a real client id',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Replace the placeholder with the clientId issued to you for this resource type (in the harness: platform.clients[].clientId); check the template or environment variable that should have filled it in.',
    source: `${SPEC} (400 error.bad-request: token or API key not matching the client ID)`,
  },
  {
    code: 'unknown-client-id',
    title: 'The clientId is not one this environment knows',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Use the clientId issued to you for this environment and resource type (in the harness, add it to platform.clients in pca-harness.config.json, or POST it to /_harness/clients).',
    source: `${SPEC} (400 error.bad-request)`,
  },
  {
    code: 'client-id-mismatch',
    title: 'The clientId is not the one the API key or token belongs to',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Send the clientId that belongs to the API key (or token) you use. Each resource type (Appointment, DocumentReference, Task) has its own clientId; keep the key and the clientId together in configuration.',
    source: `${SPEC} (400 error.bad-request "clientId mismatch")`,
  },
  {
    code: 'batch-over-limit',
    title: 'More NHS numbers in one call than this environment accepts',
    kind: 'call',
    strict: badRequest,
    int: badRequest,
    fix: 'Split the list into calls of at most 200 numbers (integration and test environments) or 5,000 (production), and send each batch separately.',
    source: `${SPEC} (maxItems 5000; 200 outside production); WF-NFR-RS-03`,
  },
  {
    code: 'nhs-number-pattern',
    title: 'An NHS number does not match ^[1-9][0-9]{9}$',
    kind: 'number',
    strict: badRequest,
    int: badRequest,
    fix: 'Send each NHS number as a string of exactly 10 digits, not starting with 0, with no spaces, dashes or other characters. The whole batch is refused, so fix or drop those entries and resend the batch (the index says which).',
    source: `${SPEC} (items pattern; the spec's error example); WF-NFR-RS-04`,
  },
  {
    code: 'check-digit',
    title: 'An NHS number fails the Modulus 11 check digit',
    kind: 'number',
    strict: badRequest,
    int: 'accept',
    fix: 'Validate NHS numbers (Modulus 11) before sending; a wrong check digit means a typo or corrupted data in the source record, and the PCA can never match it to a patient.',
    source: 'NHS Data Dictionary: NHS number check digit',
  },
  {
    code: 'not-synthetic',
    title: 'Not a synthetic test-range NHS number: the integration environment accepts only those',
    kind: 'number',
    strict: badRequest,
    int: 'accept',
    fix: "In integration, send only test patients' NHS numbers (the ranges in syntheticRanges; the fixture pack uses them). Never send real patients' NHS numbers to a test environment.",
    source: 'PCA INT accepts only synthetic NHS numbers (supplier reports); harness syntheticRanges',
  },
  {
    code: 'under-16',
    title: 'The patient is under 16 (per the loaded fixture pack)',
    kind: 'number',
    strict: badRequest,
    int: 'accept',
    fix: 'Do not send NHS numbers of patients under 16; send them on or after their 16th birthday.',
    source: `${SPEC} (inclusion and exclusion rules)`,
  },
  {
    code: 'sensitive',
    title: 'The patient is flagged sensitive (per the loaded fixture pack)',
    kind: 'number',
    strict: badRequest,
    int: 'accept',
    fix: 'Do not send NHS numbers of sensitive patients; filter them out before batching.',
    source: `${SPEC} (inclusion and exclusion rules)`,
  },
  {
    code: 'excluded-by-trust',
    title: 'The patient is excluded from the PCA by their trust (per the loaded fixture pack)',
    kind: 'number',
    strict: badRequest,
    int: 'accept',
    fix: 'Do not send NHS numbers of patients the trust has excluded from the PCA.',
    source: 'Fixture pack flags (excludedByTrust)',
  },
  {
    code: 'duplicate-in-batch',
    title: 'The same NHS number appears more than once in the batch',
    kind: 'note',
    strict: 'accept',
    int: 'accept',
    fix: 'Harmless (the endpoint is idempotent and counts each number once), but de-duplicate before sending and keep track of what was already sent.',
    source: `${SPEC} (idempotent; "try to avoid this")`,
  },
  {
    code: 'unknown-body-field',
    title: 'The body has properties the Record Service does not read',
    kind: 'note',
    strict: 'accept',
    int: 'accept',
    fix: 'Send only "clientId" and "nhsNumbers". Extra properties are ignored; a misspelt one (e.g. "nhsNumber") means what you meant to send was not read.',
    source: `${SPEC} (request body: clientId, nhsNumbers)`,
  },
  {
    code: 'no-supplier-endpoint',
    title: 'Registered, but no supplier endpoint is mapped to this clientId, so no pulls will be scheduled',
    kind: 'note',
    strict: 'accept',
    int: 'accept',
    fix: 'Map your Get Appointments API to the clientId (in the harness: platform.clients[].endpoint with url and auth); until then the aggregator never asks your system about these patients.',
    source: 'Onboarding: the PCA pulls only from onboarded supplier endpoints',
  },
  {
    code: 'contract-checks-not-passed',
    title: "Registered, but pulls wait until the supplier's contract checks have passed",
    kind: 'note',
    strict: 'accept',
    int: 'accept',
    fix: 'Run "pca-harness check --supplier URL" until every MUST check passes; pulls for this clientId start after that (requireContractPass in the client configuration).',
    source: 'Onboarding: contract checks before pulls (requireContractPass)',
  },
  {
    code: 'fault-injected',
    title: 'The harness injected a failure, as configured for this clientId',
    kind: 'call',
    strict: { status: 503, code: 'error.service-unavailable' },
    int: { status: 503, code: 'error.service-unavailable' },
    answerText: {
      strict: '500, 503 or 504 as configured (504 after the timeout)',
      int: '500, 503 or 504 as configured (504 after the timeout)',
    },
    fix: 'Nothing was registered. Your client must log the failure with the batch and its indexes, retry with back-off and replay what was not acknowledged with 200 (WF-NFR-RS-02/04/07); "pca-harness reconcile" then shows whether anything is missing.',
    source: 'WF-NFR-RS-02, WF-NFR-RS-04, WF-NFR-RS-07; the endpoint times out after 30 s with 504',
  },
];

const BY_CODE = new Map<ReasonCode, ReasonEntry>(REASON_CATALOGUE.map((e) => [e.code, e]));
const PRECEDENCE = new Map<ReasonCode, number>(REASON_CATALOGUE.map((e, i) => [e.code, i]));

export function reasonEntry(code: ReasonCode): ReasonEntry {
  const e = BY_CODE.get(code);
  if (!e) throw new Error(`no catalogue entry for reason "${code}"`);
  return e;
}

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && BY_CODE.has(value as ReasonCode);
}

export function precedence(code: ReasonCode): number {
  return PRECEDENCE.get(code) ?? Number.MAX_SAFE_INTEGER;
}

export function modeAnswer(code: ReasonCode, mode: Mode): ModeAnswer {
  const e = reasonEntry(code);
  return mode === 'int' ? e.int : e.strict;
}

/** A reason that stops numbers being registered (as opposed to a note about registered ones). */
export function isProblem(code: ReasonCode): boolean {
  return reasonEntry(code).kind !== 'note';
}

function describeAnswer(a: ModeAnswer): string {
  return a === 'accept' ? '200, warning header' : `${a.status} ${a.code}`;
}

const KIND_TEXT: Record<ReasonKind, string> = {
  call: 'nothing in the call registered',
  number: 'that number not registered',
  note: 'registered; note',
};

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The reason table of docs/record-service.md, generated so the doc cannot drift from the code. */
export function renderReasonTableMarkdown(): string {
  const rows = REASON_CATALOGUE.map(
    (e) =>
      `| \`${e.code}\` | ${cell(e.title)} | ${KIND_TEXT[e.kind]} | ${e.answerText?.strict ?? describeAnswer(e.strict)} | ${e.answerText?.int ?? describeAnswer(e.int)} | ${cell(e.fix)} |`,
  );
  return [
    '| code | what happened | effect | strict answers | int answers | fix |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
