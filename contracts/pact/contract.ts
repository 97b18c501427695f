/**
 * What the two Pact contracts have in common: pacticipant names, where the committed pact files
 * live, and the fixed example values and matchers the interactions are built from. Examples are
 * constants (never random, never dated) so that regenerating a pact gives the same bytes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MatchersV3 as M, type Matcher, type V3RegexMatcher } from '@pact-foundation/pact';

/** The PCA itself (the aggregator and the harness's conformance probes), consumer of a supplier's API. */
export const PCA = 'PCA';
/** A supplier's Get Appointments / DocumentReference / Task API. */
export const PCA_SUPPLIER = 'PCA-Supplier';
/** The PCA Record Service (`POST /records`), provider to a supplier's upload client. */
export const PCA_RECORD_SERVICE = 'PCA-RecordService';

/** The file name pact-js writes for a consumer/provider pair. */
export function pactFileName(consumer: string, provider: string): string {
  return `${consumer}-${provider}.json`;
}

/**
 * `contracts/pacts/` of this checkout or installed package: beside this folder in the sources, three
 * levels up from `dist/contracts/pact/` in a build.
 */
export function pactsDir(): string {
  const candidates = [
    path.resolve(__dirname, '..', 'pacts'),
    path.resolve(__dirname, '..', '..', '..', 'contracts', 'pacts'),
  ];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export const SUPPLIER_PACT_FILE = pactFileName(PCA, PCA_SUPPLIER);
export const RECORD_SERVICE_PACT_FILE = pactFileName(PCA_SUPPLIER, PCA_RECORD_SERVICE);

export function shippedPact(file: string): string {
  return path.join(pactsDir(), file);
}

// ---------------------------------------------------------------------------------------------
// Example values: what the verifier sends when nothing replaces them, and what the mock answers.

/** The NHS number of the specification's own examples (valid check digit, never issued). */
export const EXAMPLE_NHS_NUMBER = '9000000009';
export const EXAMPLE_CORRELATION_ID = 'b5c3f0de-6a4b-4c1e-9d2f-3e8a7b6c5d4e';
export const EXAMPLE_ACCESS_TOKEN = 'example-access-token';
export const EXAMPLE_API_KEY = 'example-api-key';
export const EXAMPLE_CLIENT_ID = 'pep-01';

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
/**
 * JWT-shaped, with the claims NHS login puts in an ID token, but signed by nobody: a verifier that
 * forgets to replace it gets a 401 from any supplier that checks signatures, as it should.
 */
export const EXAMPLE_ID_TOKEN = [
  b64url({ alg: 'RS512', typ: 'JWT', kid: 'example' }),
  b64url({
    iss: 'https://auth.login.nhs.uk',
    nhs_number: EXAMPLE_NHS_NUMBER,
    birthdate: '1970-01-01',
    identity_proofing_level: 'P9',
  }),
  Buffer.from('not-a-signature').toString('base64url'),
].join('.');

// ---------------------------------------------------------------------------------------------
// Patterns. Anchored, because Pact's regex matcher accepts a match anywhere in the value.

/** RFC 6750 b64token after `Bearer `. */
export const BEARER_PATTERN = '^Bearer [A-Za-z0-9._~+/-]+=*$';
/** A signed JWS in compact form: three non-empty base64url parts (so `alg: none` tokens do not match). */
export const JWT_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
export const FHIR_JSON_PATTERN = '^application/fhir\\+json(\\s*;.*)?$';
export const JSON_PATTERN = '^application/json(\\s*;.*)?$';
export const NHS_NUMBER_PATTERN = '^[1-9][0-9]{9}$';
export const PATIENT_IDENTIFIER_PATTERN = '^https://fhir\\.nhs\\.uk/Id/nhs-number\\|[1-9][0-9]{9}$';
export const HTTPS_URL_PATTERN = '^https://\\S+$';
/** FHIR `instant`/`dateTime` with a time and an offset, as the standard's examples give `start`. */
export const FHIR_DATETIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$';

/** A value matched by a pattern, whose concrete value the provider's state handler supplies. */
export type ProviderStateRegex = V3RegexMatcher & { 'pact:generator:type': 'ProviderState'; expression: string };

/**
 * A regex matcher (consumer side) that the verifier fills from the provider state (provider side):
 * `expression` names state values as `${name}`, e.g. `Bearer ${apiKey}`.
 */
export function fromStateMatching(pattern: string, expression: string, example: string): ProviderStateRegex {
  return { ...M.regex(pattern, example), 'pact:generator:type': 'ProviderState', expression };
}

export const headerMatchers = {
  bearer: (): V3RegexMatcher => M.regex(BEARER_PATTERN, `Bearer ${EXAMPLE_ACCESS_TOKEN}`),
  idToken: (): V3RegexMatcher => M.regex(JWT_PATTERN, EXAMPLE_ID_TOKEN),
  correlationId: (): V3RegexMatcher => M.uuid(EXAMPLE_CORRELATION_ID),
  fhirJson: (): V3RegexMatcher => M.regex(FHIR_JSON_PATTERN, 'application/fhir+json'),
  json: (): V3RegexMatcher => M.regex(JSON_PATTERN, 'application/json'),
};

/** `^(a|b|c)$` from a list of literal codes. */
export function oneOf(values: readonly string[]): string {
  return `^(${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}

export type { Matcher };
