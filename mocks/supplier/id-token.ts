/**
 * Verifies NHSD-ID-Token headers as a relying party does (nhs-facts.md section 2): RS512 only,
 * signature against the NHS login JWKS (discovered from the issuer's openid-configuration, cached,
 * refetched by jose on an unknown `kid`), `iss`, `exp` and the mandatory claims. Proofing level and
 * the demographic cross-checks are the pipeline's, because each has its own error.
 */
import { decodeJwt, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
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
  clock: Clock;
  fetchImpl?: typeof fetch;
}

export interface IdTokenVerifier {
  verify(token: string, mode: 'signature' | 'decode-only'): Promise<IdTokenClaims>;
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

  return {
    async verify(token, mode) {
      if (mode === 'signature') {
        return verifyJwt<IdTokenClaims>(token, getKey, {
          issuer,
          clock: opts.clock,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ID_TOKEN_REQUIRED_CLAIMS,
        });
      }
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
    },
  };
}
