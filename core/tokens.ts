/**
 * NHS login ID tokens and other signed JWTs. Minting follows the claims NHS login documents for its
 * ID tokens; verification is what a relying party does.
 */
import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  UnsecuredJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  errors as joseErrors,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { type Clock, epochSeconds, systemClock } from './clock';
import { SIGNING_ALG, type Jwks, type SigningKey } from './keys';

export type ProofingLevel = 'P0' | 'P5' | 'P9';

export const VOT_BY_LEVEL: Record<ProofingLevel, string> = {
  P0: 'P0.Cp.Cd',
  P5: 'P5.Cp.Cd',
  P9: 'P9.Cp.Cd',
};
export const NHS_LOGIN_VTM = 'https://auth.login.nhs.uk/trustmark/auth.login.nhs.uk';
export const DEFAULT_ID_TOKEN_AUDIENCE = 'nhs-online';
export const DEFAULT_ID_TOKEN_LIFETIME_S = 3600;

export interface IdTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  /** Authorised party (OpenID Connect Core 2): the client the token was issued to, when aud names several. */
  azp?: string;
  exp: number;
  iat: number;
  jti: string;
  nhs_number: string;
  birthdate: string;
  identity_proofing_level: ProofingLevel;
  vot: string;
  vtm: string;
  id_status: 'verified' | 'unverified';
  token_use: 'id';
  family_name: string;
  auth_time: number;
}

export interface MintIdTokenInput {
  issuer: string;
  nhsNumber: string;
  birthDate: string;
  familyName?: string;
  proofingLevel?: ProofingLevel;
  /** Several audiences mint a token whose `azp` a relying party must check (OpenID Connect Core 3.1.3.7). */
  audience?: string | string[];
  azp?: string;
  /** `alg: none` and no signature: a token every relying party must refuse (for checks). */
  unsigned?: boolean;
  /** Seconds until expiry; negative mints an already-expired token (for tests and checks). */
  expiresIn?: number;
  subject?: string;
  clock?: Clock;
}

export async function mintIdToken(
  key: SigningKey,
  input: MintIdTokenInput,
): Promise<{ token: string; claims: IdTokenClaims }> {
  const clock = input.clock ?? systemClock;
  const now = epochSeconds(clock);
  const level = input.proofingLevel ?? 'P9';
  const lifetime = input.expiresIn ?? DEFAULT_ID_TOKEN_LIFETIME_S;
  const claims: IdTokenClaims = {
    iss: input.issuer,
    sub: input.subject ?? randomUUID(),
    aud: input.audience ?? DEFAULT_ID_TOKEN_AUDIENCE,
    iat: lifetime < 0 ? now + lifetime - 60 : now,
    exp: now + lifetime,
    auth_time: lifetime < 0 ? now + lifetime - 60 : now,
    jti: randomUUID(),
    nhs_number: input.nhsNumber,
    birthdate: input.birthDate,
    identity_proofing_level: level,
    vot: VOT_BY_LEVEL[level],
    vtm: NHS_LOGIN_VTM,
    id_status: 'verified',
    token_use: 'id',
    family_name: input.familyName ?? 'TESTPATIENT',
    ...(input.azp !== undefined ? { azp: input.azp } : {}),
  };
  if (input.unsigned) return { token: new UnsecuredJWT(claims).encode(), claims };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
  return { token, claims };
}

export interface SignJwtInput {
  claims: JWTPayload;
  kid?: string;
  typ?: string;
}

/** Signs arbitrary claims with RS512 (client assertions, access tokens). */
export async function signJwt(key: SigningKey, input: SignJwtInput): Promise<string> {
  return new SignJWT(input.claims)
    .setProtectedHeader({ alg: SIGNING_ALG, typ: input.typ ?? 'JWT', kid: input.kid ?? key.kid })
    .sign(key.privateKey);
}

export type TokenProblem =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'unknown-key'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'claims';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Maps jose's errors to a problem a person can act on. */
export function toTokenError(e: unknown): TokenError {
  if (e instanceof TokenError) return e;
  if (e instanceof joseErrors.JWTExpired)
    return new TokenError('expired', 'the token has expired (exp is in the past)');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = e.claim;
    if (claim === 'iss') return new TokenError('issuer', `the token issuer (iss) is not the expected one`);
    if (claim === 'aud') return new TokenError('audience', `the token audience (aud) is not the expected one`);
    if (claim === 'nbf' || claim === 'iat')
      return new TokenError('not-yet-valid', `the token is not valid yet (${claim})`);
    return new TokenError('claims', `token claim "${claim}" is invalid: ${e.reason}`);
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return new TokenError('algorithm', `the token algorithm is not allowed (RS512 is required)`);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed)
    return new TokenError('signature', 'the token signature does not verify');
  if (e instanceof joseErrors.JWKSNoMatchingKey)
    return new TokenError('unknown-key', 'no key in the issuer JWKS matches the token kid');
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid)
    return new TokenError('malformed', 'the token is not a well-formed signed JWT');
  if (e instanceof joseErrors.JOSENotSupported)
    return new TokenError('algorithm', 'the token uses an unsupported algorithm');
  return new TokenError('malformed', `the token could not be verified: ${(e as Error)?.message ?? String(e)}`);
}

/**
 * The one clock tolerance, in seconds, for every time claim the harness checks (`exp`, `nbf`, `iat`)
 * in every token it verifies: client assertions, access tokens, NHS login ID tokens.
 */
export const CLOCK_TOLERANCE_S = 30;

/**
 * `nbf` and `iat` from the future (beyond the tolerance): jose checks `nbf` but not a future `iat`,
 * and a token "issued" later than now was not issued by anyone honest. Undefined when both are fine.
 */
export function futureTimeClaim(
  claims: { nbf?: unknown; iat?: unknown },
  nowS: number,
  toleranceS = CLOCK_TOLERANCE_S,
): { claim: 'nbf' | 'iat'; message: string } | undefined {
  for (const claim of ['nbf', 'iat'] as const) {
    const v = claims[claim];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v))
      return { claim, message: `"${claim}" must be a number of seconds since the epoch, was ${JSON.stringify(v)}` };
    if (v > nowS + toleranceS)
      return {
        claim,
        message:
          claim === 'nbf'
            ? `the token is not valid yet: nbf is ${Math.round(v - nowS)} s in the future (tolerance ${toleranceS} s)`
            : `the token says it was issued ${Math.round(v - nowS)} s in the future (iat; tolerance ${toleranceS} s)`,
      };
  }
  return undefined;
}

export interface VerifyOptions {
  issuer: string;
  audience?: string | string[];
  clock?: Clock;
  /** Allowed clock skew in seconds. */
  clockTolerance?: number;
  requiredClaims?: string[];
}

export async function verifyJwt<T extends JWTPayload = JWTPayload>(
  token: string,
  keys: JWTVerifyGetKey,
  opts: VerifyOptions,
): Promise<T> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [SIGNING_ALG],
      issuer: opts.issuer,
      audience: opts.audience,
      clockTolerance: opts.clockTolerance ?? CLOCK_TOLERANCE_S,
      currentDate: (opts.clock ?? systemClock).now(),
      requiredClaims: opts.requiredClaims,
    });
    const future = futureTimeClaim(
      payload,
      Math.floor((opts.clock ?? systemClock).now().getTime() / 1000),
      opts.clockTolerance ?? CLOCK_TOLERANCE_S,
    );
    if (future) throw new TokenError('not-yet-valid', future.message);
    return payload as T;
  } catch (e) {
    throw toTokenError(e);
  }
}

export const ID_TOKEN_REQUIRED_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'jti',
  'nhs_number',
  'birthdate',
  'identity_proofing_level',
  'vot',
];

export function localKeySet(jwks: Jwks): JWTVerifyGetKey {
  return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
}

/** Remote JWKS with caching; jose refetches on an unknown `kid` (cooldown-limited). */
export function remoteKeySet(jwksUri: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 1_000, cacheMaxAge: 10 * 60_000 });
}

/** Discovers the JWKS of an OIDC issuer from `{issuer}/.well-known/openid-configuration`. */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  return doc.jwks_uri;
}
