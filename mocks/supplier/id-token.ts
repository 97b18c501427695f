/**
 * Verifies NHSD-ID-Token headers as a relying party does (OpenID Connect Core 3.1.3.7, nhs-facts.md
 * section 2): RS512 only, signature against the NHS login JWKS (discovered from the issuer's
 * openid-configuration, cached, refetched by jose on an unknown `kid`), `iss`, `aud` (the client the
 * ID tokens are issued to), `azp` when present or when `aud` names several clients, `exp` and the
 * mandatory claims. Proofing level and the demographic cross-checks are the pipeline's, because each
 * has its own error.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { type Clock, epochSeconds } from '../../core/clock';
import {
  discoverJwksUri,
  ID_TOKEN_REQUIRED_CLAIMS,
  type IdTokenClaims,
  remoteKeySet,
  TokenError,
  verifyJwt,
  CLOCK_TOLERANCE_S,
  futureTimeClaim,
} from '../../core/tokens';

/** The NHS login keys could not be fetched: not the token's fault, so not a 401. */
export class NhsLoginUnavailableError extends TokenError {
  constructor(message: string) {
    super('unknown-key', message);
    this.name = 'NhsLoginUnavailableError';
  }
}

export interface IdTokenVerifierOptions {
  issuer: string;
  /** The client id the ID tokens are issued to (NHS login's `aud`): the NHS App's. */
  audience: string;
  clock: Clock;
  fetchImpl?: typeof fetch;
}

/**
 * What a verification checks. The conforming supplier checks everything; a fault turns one part off.
 * `signature`: `verify` always, `decode-only` never, `unless-alg-none` trusts a token that says it
 * needs no signature (the classic alg "none" bug).
 */
export interface IdTokenPolicy {
  signature: 'verify' | 'decode-only' | 'unless-alg-none';
  audience: boolean;
  azp: boolean;
}

export interface IdTokenVerifier {
  verify(token: string, policy: IdTokenPolicy): Promise<IdTokenClaims>;
}

export function createIdTokenVerifier(opts: IdTokenVerifierOptions): IdTokenVerifier {
  const issuer = opts.issuer.replace(/\/$/, '');
  let keySet: Promise<JWTVerifyGetKey> | undefined;

  // Discovery runs on first use (NHS login may start after the supplier) and again after a failure.
  const keys = (): Promise<JWTVerifyGetKey> => {
    if (!keySet) {
      const p = discoverJwksUri(issuer, opts.fetchImpl).then(remoteKeySet);
      p.catch(() => {
        if (keySet === p) keySet = undefined;
      });
      keySet = p;
    }
    return keySet;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    let resolve: JWTVerifyGetKey;
    try {
      resolve = await keys();
    } catch (e) {
      throw new NhsLoginUnavailableError(`OIDC discovery for ${issuer} failed: ${(e as Error).message}`);
    }
    try {
      return await resolve(header, token);
    } catch (e) {
      if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) throw e;
      throw new NhsLoginUnavailableError(`the NHS login JWKS could not be fetched: ${(e as Error).message}`);
    }
  };

  const decodeOnly = (token: string): IdTokenClaims => {
    let claims: IdTokenClaims;
    try {
      claims = decodeJwt(token) as IdTokenClaims;
    } catch {
      throw new TokenError('malformed', 'the token is not a well-formed JWT');
    }
    if (claims.iss !== issuer) throw new TokenError('issuer', 'the token issuer (iss) is not the expected one');
    if (typeof claims.exp !== 'number' || claims.exp + CLOCK_TOLERANCE_S <= epochSeconds(opts.clock))
      throw new TokenError('expired', 'the token has expired (exp is in the past)');
    const future = futureTimeClaim(claims, epochSeconds(opts.clock));
    if (future) throw new TokenError('not-yet-valid', future.message);
    return claims;
  };

  const saysAlgNone = (token: string): boolean => {
    try {
      return decodeProtectedHeader(token).alg === 'none';
    } catch {
      return false;
    }
  };

  return {
    async verify(token, policy) {
      const claims =
        policy.signature === 'decode-only' || (policy.signature === 'unless-alg-none' && saysAlgNone(token))
          ? decodeOnly(token)
          : await verifyJwt<IdTokenClaims>(token, getKey, {
              issuer,
              clock: opts.clock,
              clockTolerance: CLOCK_TOLERANCE_S,
              requiredClaims: ID_TOKEN_REQUIRED_CLAIMS,
            });
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (policy.audience && !aud.includes(opts.audience))
        throw new TokenError('audience', `the token audience (aud) does not include ${opts.audience}`);
      if (policy.azp && (claims.azp !== undefined || aud.length > 1) && claims.azp !== opts.audience)
        throw new TokenError(
          'audience',
          claims.azp === undefined
            ? 'the token names several audiences but no authorised party (azp)'
            : `the token's authorised party (azp) is not ${opts.audience}`,
        );
      return claims;
    },
  };
}
