/**
 * The API platform's token-endpoint errors as data. Status, `error` and `error_description` follow
 * what the NHS API platform documents for signed-JWT client credentials (its application-restricted
 * authentication guide); `hint` is the harness's own advice, sent in the X-PCA-Harness-Warning header so the
 * body stays as the real platform's.
 */

export const OAUTH_ERROR_CODES = [
  'grant-type-missing',
  'grant-type-invalid',
  'assertion-type-invalid',
  'assertion-missing',
  'assertion-malformed',
  'kid-missing',
  'typ-invalid',
  'alg-invalid',
  'iss-sub-mismatch',
  'iss-sub-unknown',
  'jti-missing',
  'jti-invalid',
  'exp-missing',
  'exp-not-integer',
  'exp-expired',
  'exp-too-far',
  'nbf-in-future',
  'iat-in-future',
  'aud-invalid',
  'no-public-key',
  'kid-unknown',
  'signature-invalid',
  'jti-reused',
] as const;

export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export interface OAuthErrorEntry {
  code: OAuthErrorCode;
  status: number;
  error: string;
  description: string;
  hint: string;
}

const CLAIMS = 'client_assertion JWT';

export const OAUTH_ERRORS: readonly OAuthErrorEntry[] = [
  {
    code: 'grant-type-missing',
    status: 400,
    error: 'invalid_request',
    description: 'grant_type is missing',
    hint: 'POST an application/x-www-form-urlencoded body with grant_type=client_credentials (a JSON body is not read).',
  },
  {
    code: 'grant-type-invalid',
    status: 400,
    error: 'unsupported_grant_type',
    description: 'grant_type is invalid',
    hint: 'Use grant_type=client_credentials for application-restricted access.',
  },
  {
    code: 'assertion-type-invalid',
    status: 400,
    error: 'invalid_request',
    description:
      "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'",
    hint: 'Send client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer exactly.',
  },
  {
    code: 'assertion-missing',
    status: 400,
    error: 'invalid_request',
    description: 'Missing client_assertion',
    hint: 'Send client_assertion=<signed JWT> in the form body.',
  },
  {
    code: 'assertion-malformed',
    status: 400,
    error: 'invalid_request',
    description: 'Malformed JWT in client_assertion',
    hint: 'client_assertion must be a compact JWS (header.payload.signature, base64url) whose header and payload are JSON.',
  },
  {
    code: 'kid-missing',
    status: 400,
    error: 'invalid_request',
    description: `Missing 'kid' header in ${CLAIMS}`,
    hint: 'Put the key id of your registered public key in the JWT header as "kid".',
  },
  {
    code: 'typ-invalid',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'typ' header in ${CLAIMS} - must be 'JWT'`,
    hint: 'Set the JWT header "typ" to "JWT".',
  },
  {
    code: 'alg-invalid',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'alg' header in ${CLAIMS} - unsupported JWT algorithm - must be 'RS512'`,
    hint: 'Sign the assertion with RS512 (RSA, SHA-512); RS256, PS* and HS* are refused.',
  },
  {
    code: 'iss-sub-mismatch',
    status: 400,
    error: 'invalid_request',
    description: `Missing or non-matching 'iss'/'sub' claims in ${CLAIMS}`,
    hint: 'Set both "iss" and "sub" to your client id (the API key of your application).',
  },
  {
    code: 'iss-sub-unknown',
    status: 401,
    error: 'invalid_request',
    description: `Invalid 'iss'/'sub' claims in ${CLAIMS}`,
    hint: 'The client id in "iss"/"sub" is not registered in this environment (in the harness: platform.clients[].clientId with a jwks).',
  },
  {
    code: 'jti-missing',
    status: 400,
    error: 'invalid_request',
    description: `Missing 'jti' claim in ${CLAIMS}`,
    hint: 'Give every assertion a fresh "jti", e.g. a random UUID.',
  },
  {
    code: 'jti-invalid',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'jti' claim in ${CLAIMS} - must be a unique string value such as a GUID`,
    hint: '"jti" must be a string, e.g. a random UUID.',
  },
  {
    code: 'exp-missing',
    status: 400,
    error: 'invalid_request',
    description: `Missing 'exp' claim in ${CLAIMS}`,
    hint: 'Set "exp" to now + at most 300 seconds (an integer, seconds since the epoch).',
  },
  {
    code: 'exp-not-integer',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'exp' claim in ${CLAIMS} - must be an integer`,
    hint: '"exp" must be a whole number of seconds since the epoch, not a string or milliseconds.',
  },
  {
    code: 'exp-expired',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'exp' claim in ${CLAIMS} - JWT has expired`,
    hint: 'Sign a new assertion for every token request; check the clock of the machine that signs it.',
  },
  {
    code: 'exp-too-far',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'exp' claim in ${CLAIMS} - more than 5 minutes in future`,
    hint: '"exp" may be at most 5 minutes (300 s) ahead; check it is in seconds, not milliseconds.',
  },
  {
    code: 'nbf-in-future',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'nbf' claim in ${CLAIMS} - JWT is not valid yet`,
    hint: '"nbf" must not be in the future; leave it out or set it to now. Check the clock of the machine that signs the assertion (NTP).',
  },
  {
    code: 'iat-in-future',
    status: 400,
    error: 'invalid_request',
    description: `Invalid 'iat' claim in ${CLAIMS} - issued in the future`,
    hint: '"iat" is when you signed the assertion, in seconds since the epoch: not in the future, not milliseconds. Check the clock of the signing machine (NTP).',
  },
  {
    code: 'aud-invalid',
    status: 401,
    error: 'invalid_request',
    description: `Missing or invalid 'aud' claim in ${CLAIMS}`,
    hint: 'Set "aud" to the exact token URL you POST to (scheme, host, port and path /oauth2/token).',
  },
  {
    code: 'no-public-key',
    status: 403,
    error: 'public_key error',
    description:
      'You need to register a public key to use this authentication method - please contact support to configure',
    hint: 'Register your public key set (in the harness: platform.clients[].jwks).',
  },
  {
    code: 'kid-unknown',
    status: 401,
    error: 'invalid_request',
    description: `Invalid 'kid' header in ${CLAIMS} - no matching public key`,
    hint: 'The "kid" must name a key in your registered JWKS; after rotating keys, register the new public key before using it.',
  },
  {
    code: 'signature-invalid',
    status: 401,
    error: 'public_key error',
    description: 'JWT signature verification failed',
    hint: 'Sign with the private key whose public half is registered under this "kid".',
  },
  {
    code: 'jti-reused',
    status: 400,
    error: 'invalid_request',
    description: `Non-unique 'jti' claim in ${CLAIMS}`,
    hint: 'Never reuse an assertion or its "jti": sign a new one for every token request.',
  },
];

const BY_CODE = new Map<OAuthErrorCode, OAuthErrorEntry>(OAUTH_ERRORS.map((e) => [e.code, e]));

export function oauthError(code: OAuthErrorCode): OAuthErrorEntry {
  const e = BY_CODE.get(code);
  if (!e) throw new Error(`no OAuth error "${code}"`);
  return e;
}

/** Thrown inside the token flow; the router renders it. */
export class OAuthFailure extends Error {
  constructor(
    readonly entry: OAuthErrorEntry,
    readonly detail?: string,
  ) {
    super(entry.description);
    this.name = 'OAuthFailure';
  }
}

export function fail(code: OAuthErrorCode, detail?: string): never {
  throw new OAuthFailure(oauthError(code), detail);
}

/** The token-endpoint error table of docs/record-service.md, generated so the doc cannot drift. */
export function renderOAuthErrorTableMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| code | status | error | error_description | hint (X-PCA-Harness-Warning) |',
    '| --- | --- | --- | --- | --- |',
    ...OAUTH_ERRORS.map(
      (e) => `| \`${e.code}\` | ${e.status} | \`${e.error}\` | ${cell(e.description)} | ${cell(e.hint)} |`,
    ),
  ].join('\n');
}
