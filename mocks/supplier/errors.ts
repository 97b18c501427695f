/**
 * Every error the reference supplier answers, as constants built from the producer standard's
 * 4XX/5XX tables and examples (missingNhsNumber, invalidNhsNumber, invalidAuthToken,
 * mismatchNhsNumber, under16, rateLimit, gatewayTimeout). Handlers pick one; none builds its own.
 */
import {
  type OperationOutcome,
  type OperationOutcomeIssue,
  operationOutcome,
  spineErrorDetails as spineDetails,
} from '../../core/fhir';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';

export interface SupplierError {
  status: number;
  outcome: OperationOutcome;
  headers?: Record<string, string>;
}

const IDENTIFIER_PATTERN = '/^https:\\/\\/fhir\\.nhs\\.uk\\/Id\\/nhs-number\\|[1-9][0-9]{9}$/';

function err(
  status: number,
  code: string,
  diagnostics: string,
  extra: Partial<OperationOutcomeIssue> = {},
  headers?: Record<string, string>,
): SupplierError {
  return { status, outcome: operationOutcome(code, diagnostics, 'error', extra), ...(headers ? { headers } : {}) };
}

export const ERRORS = {
  missingIdentifier: () => err(400, 'exception', '"patient:identifier" is required'),

  invalidIdentifier: (value: string, why?: string) =>
    err(
      400,
      'exception',
      why
        ? `"patient:identifier" with value "${value}" is not a valid NHS number: ${why}`
        : `"patient:identifier" with value "${value}" fails to match the required pattern: ${IDENTIFIER_PATTERN}`,
    ),

  repeatedIdentifier: () => err(400, 'exception', '"patient:identifier" must be given exactly once'),

  /** The OAuth bearer is missing, unknown or expired. */
  invalidAccessToken: (why: string) =>
    err(
      401,
      'processing',
      `Missing or invalid OAuth 2.0 bearer token: ${why}`,
      spineDetails('ACCESS_DENIED', 'Invalid access token'),
      { 'WWW-Authenticate': 'Bearer' },
    ),

  missingIdToken: () =>
    err(401, 'processing', 'the NHSD-ID-Token header is required (an NHS login ID token for the patient)'),

  invalidIdToken: (why: string) => err(401, 'processing', `NHSD-ID-Token rejected: ${why}`),

  proofingLevel: (level: unknown) =>
    err(
      401,
      'processing',
      `NHSD-ID-Token rejected: identity_proofing_level is ${JSON.stringify(level ?? null)}; the patient must be authenticated to P9`,
    ),

  nhsNumberMismatch: (requested: string, tokenNhsNumber: string) =>
    err(
      401,
      'processing',
      `"patient:identifier" with value "${NHS_NUMBER_SYSTEM}|${requested}" fails to match the required NHS login token subject ${tokenNhsNumber}`,
    ),

  birthDateMismatch: () =>
    err(
      401,
      'processing',
      'NHSD-ID-Token birthdate does not match the date of birth held for this patient (WF-NFR-14 demographic cross-check)',
    ),

  under16: () => err(403, 'forbidden', 'UNDER_16_DENIED'),

  notFound: (method: string, path: string, known: string[]) =>
    err(
      404,
      'not-found',
      `no endpoint at ${method} ${path}; this supplier serves GET ${known.join(', GET ')} and POST /oauth2/token`,
    ),

  methodNotAllowed: (method: string, path: string) =>
    err(405, 'not-supported', `${method} is not supported on ${path}; use GET`, {}, { Allow: 'GET' }),

  /** The standard's table names TOO_MANY_REQUESTS, its example uses `exception`: both, so either reading matches. */
  rateLimited: (limit: number) =>
    err(
      429,
      'exception',
      'Too Many Requests',
      { ...spineDetails('TOO_MANY_REQUESTS', `more than ${limit} requests per second`) },
      { 'Retry-After': '1' },
    ),

  gatewayTimeout: () => err(504, 'exception', 'Gateway Timeout'),

  nhsLoginUnavailable: (why: string) =>
    err(
      503,
      'transient',
      `cannot verify the NHSD-ID-Token: the NHS login keys are unavailable (${why})`,
      {},
      { 'Retry-After': '5' },
    ),

  internal: () =>
    err(500, 'exception', 'internal error in the reference supplier; see its log for this X-Correlation-ID'),
} as const;
