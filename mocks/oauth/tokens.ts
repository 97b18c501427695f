/**
 * Access tokens the mock API platform issues, and the client side of the signed-JWT client
 * credentials flow (client assertions, fetching a token) for the harness's own clients and tests.
 *
 * Access tokens are RS512 JWTs signed with the key ring's `api-platform-oauth` key: `aud` is the
 * environment's token URL (so a token from another environment is recognisably foreign),
 * `client_id` and `sub` the client it was issued to.
 */
import { CLOCK_TOLERANCE_S, futureTimeClaim } from '../../core/tokens';
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { type Clock, epochSeconds, systemClock } from '../../core/clock';
import type { KeyRing, SigningKey } from '../../core/keys';
import { signJwt } from '../../core/tokens';
import { fetchWithTimeout } from '../../core/http';

export const OAUTH_SIGNING_KEY = 'api-platform-oauth';
/** The API platform answers `expires_in: "599"`. */
export const ACCESS_TOKEN_LIFETIME_S = 599;
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** How far ahead a client assertion's `exp` may be. */
export const MAX_ASSERTION_LIFETIME_S = 300;

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface IssueAccessTokenInput {
  clientId: string;
  /** The environment's token URL: both `iss` and `aud`. */
  tokenUrl: string;
  lifetimeS?: number;
  clock?: Clock;
}

export async function issueAccessToken(
  keyRing: KeyRing,
  input: IssueAccessTokenInput,
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const now = epochSeconds(input.clock ?? systemClock);
  const claims: AccessTokenClaims = {
    iss: input.tokenUrl,
    sub: input.clientId,
    aud: input.tokenUrl,
    client_id: input.clientId,
    iat: now,
    exp: now + (input.lifetimeS ?? ACCESS_TOKEN_LIFETIME_S),
    jti: randomUUID(),
  };
  const token = await signJwt(await keyRing.get(OAUTH_SIGNING_KEY), { claims });
  return { token, claims };
}

export type AccessTokenCheck =
  | { ok: true; clientId: string; claims: AccessTokenClaims }
  | {
      ok: false;
      problem: 'not-issued-here' | 'expired' | 'audience';
      message: string;
      clientId?: string;
      audience?: string;
    };

/** Compact JWS shape: three base64url parts, a JSON header. */
export function looksLikeJwt(s: string): boolean {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s)) return false;
  try {
    decodeProtectedHeader(s);
    return true;
  } catch {
    return false;
  }
}

function claimedClient(token: string): string | undefined {
  try {
    const p = decodeJwt(token);
    const id = p.client_id ?? p.sub;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an access token this platform issued. Signature first (so claims are trusted), then
 * expiry, then that `aud` is this environment's token URL.
 */
export async function verifyAccessToken(
  token: string,
  opts: { keyRing: KeyRing; tokenUrl: string; clock?: Clock },
): Promise<AccessTokenCheck> {
  const key = await opts.keyRing.get(OAUTH_SIGNING_KEY);
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return { ok: false, problem: 'not-issued-here', message: 'the credential is not a well-formed JWT' };
  }
  if (kid !== key.kid) {
    return {
      ok: false,
      problem: 'not-issued-here',
      message: `the token's key id (kid) is not this platform's token-signing key`,
      clientId: claimedClient(token),
    };
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['RS512'],
      currentDate: (opts.clock ?? systemClock).now(),
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'nbf') {
      const future = futureTimeClaim(e.payload, Math.floor((opts.clock ?? systemClock).now().getTime() / 1000));
      return {
        ok: false,
        problem: 'expired',
        message: future?.message ?? 'the access token is not valid yet (nbf)',
        clientId: claimedClient(token),
      };
    }
    if (e instanceof joseErrors.JWTExpired) {
      const exp = (e.payload as JWTPayload).exp;
      return {
        ok: false,
        problem: 'expired',
        message: `the access token expired at ${exp ? new Date(exp * 1000).toISOString() : '(unknown)'}`,
        clientId: claimedClient(token),
      };
    }
    return {
      ok: false,
      problem: 'not-issued-here',
      message: "the token does not verify against this platform's token-signing key",
      clientId: claimedClient(token),
    };
  }
  const nowS = Math.floor((opts.clock ?? systemClock).now().getTime() / 1000);
  // The platform issued this token by its own clock, so its expiry is exact; the tolerance is for
  // nbf/iat, which a token minted elsewhere (or deliberately wrong) may carry.
  if (typeof payload.exp === 'number' && payload.exp <= nowS)
    return {
      ok: false,
      problem: 'expired',
      message: `the access token expired at ${new Date(payload.exp * 1000).toISOString()}`,
      clientId: claimedClient(token),
    };
  const future = futureTimeClaim(payload, nowS);
  if (future) return { ok: false, problem: 'expired', message: future.message, clientId: claimedClient(token) };
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  if (!clientId) return { ok: false, problem: 'not-issued-here', message: 'the token has no client_id claim' };
  const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
  if (!aud.includes(opts.tokenUrl)) {
    return {
      ok: false,
      problem: 'audience',
      message: `the token's aud is ${JSON.stringify(payload.aud ?? null)}, but this environment's token URL is ${opts.tokenUrl}`,
      clientId,
      audience: aud.join(' '),
    };
  }
  return { ok: true, clientId, claims: payload as AccessTokenClaims };
}

export interface ClientAssertionInput {
  clientId: string;
  tokenUrl: string;
  /** Seconds until `exp`; at most 300 is accepted. */
  expiresInS?: number;
  jti?: string;
  /** Header `kid`; default the signing key's. */
  kid?: string;
  clock?: Clock;
}

/** Signs the RS512 client assertion the API platform expects: iss = sub = client id, aud = token URL. */
export async function signClientAssertion(key: SigningKey, input: ClientAssertionInput): Promise<string> {
  const now = epochSeconds(input.clock ?? systemClock);
  return signJwt(key, {
    kid: input.kid,
    claims: {
      iss: input.clientId,
      sub: input.clientId,
      aud: input.tokenUrl,
      jti: input.jti ?? randomUUID(),
      iat: now,
      exp: now + (input.expiresInS ?? MAX_ASSERTION_LIFETIME_S),
    },
  });
}

export interface TokenResponse {
  access_token: string;
  expires_in: string;
  token_type: 'Bearer';
  issued_at: string;
}

export class TokenRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`token request answered ${status}: ${JSON.stringify(body)}`);
    this.name = 'TokenRequestError';
  }
}

/** Client credentials with a signed JWT against `tokenUrl`; resolves to the access token response. */
export async function requestAccessToken(
  tokenUrl: string,
  opts: { clientId: string; key: SigningKey; clock?: Clock; timeoutMs?: number },
): Promise<TokenResponse> {
  const assertion = await signClientAssertion(opts.key, { clientId: opts.clientId, tokenUrl, clock: opts.clock });
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  });
  const res = await fetchWithTimeout<TokenResponse>(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
  if (res.status !== 200 || !res.json) throw new TokenRequestError(res.status, res.json ?? res.text);
  return res.json;
}
