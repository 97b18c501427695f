/**
 * The supplier's own token endpoint for the PCA (WF-NFR-14 system authentication): OAuth 2.0
 * client credentials with `client_secret_basic` or `client_secret_post` (RFC 6749 2.3.1, 4.4),
 * issuing short-lived opaque bearer tokens held in memory by this app instance.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Clock } from '../../core/clock';
import { bodyErrorHandler } from '../../core/http';

export const DEFAULT_ACCESS_TOKEN_LIFETIME_S = 300;

export interface TokenIssuerOptions {
  clientId: string;
  clientSecret: string;
  clock: Clock;
  lifetimeS?: number;
}

export type BearerVerdict = { valid: true } | { valid: false; reason: string };

export class AccessTokens {
  private readonly expiries = new Map<string, number>();
  readonly lifetimeS: number;

  constructor(
    private readonly clock: Clock,
    lifetimeS = DEFAULT_ACCESS_TOKEN_LIFETIME_S,
  ) {
    this.lifetimeS = lifetimeS;
  }

  issue(): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    const now = this.clock.now().getTime();
    this.purge(now);
    const token = randomBytes(32).toString('base64url');
    this.expiries.set(token, now + this.lifetimeS * 1000);
    return { access_token: token, token_type: 'Bearer', expires_in: this.lifetimeS };
  }

  /** Judges an `Authorization` header value. */
  check(authorization: string | undefined): BearerVerdict {
    if (!authorization) return { valid: false, reason: 'no Authorization header' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return { valid: false, reason: 'the Authorization header is not "Bearer <access token>"' };
    const exp = this.expiries.get(m[1]!);
    if (exp === undefined) return { valid: false, reason: 'the access token is not one this supplier issued' };
    if (exp <= this.clock.now().getTime())
      return { valid: false, reason: 'the access token has expired; get a new one from POST /oauth2/token' };
    return { valid: true };
  }

  private purge(now: number): void {
    for (const [t, exp] of this.expiries) if (exp <= now) this.expiries.delete(t);
  }
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function oauthError(res: Response, status: number, error: string, description: string, basicChallenge = false): void {
  if (basicChallenge) res.setHeader('WWW-Authenticate', 'Basic realm="pca-harness reference supplier"');
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

/** `application/x-www-form-urlencoded` decoding of a Basic credential part (RFC 6749 2.3.1). */
function formDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function basicCredentials(req: Request): { id: string; secret: string } | 'malformed' | undefined {
  const h = req.get('authorization');
  if (!h) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return 'malformed';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return id === undefined || secret === undefined ? 'malformed' : { id, secret };
}

export function tokenRouter(opts: { clientId: string; clientSecret: string; tokens: AccessTokens }): Router {
  const router = express.Router();
  router.post('/oauth2/token', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    if (!req.is('application/x-www-form-urlencoded')) {
      return oauthError(
        res,
        400,
        'invalid_request',
        'send the token request as application/x-www-form-urlencoded with grant_type=client_credentials',
      );
    }
    const basic = basicCredentials(req);
    if (basic === 'malformed')
      return oauthError(
        res,
        401,
        'invalid_client',
        'the Authorization header must be "Basic base64(client_id:client_secret)"',
        true,
      );
    const postId = typeof body.client_id === 'string' ? body.client_id : undefined;
    const postSecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    if (basic && postSecret !== undefined) {
      return oauthError(
        res,
        400,
        'invalid_request',
        'use one client authentication method: either HTTP Basic (client_secret_basic) or client_id/client_secret in the body (client_secret_post), not both',
      );
    }
    const creds =
      basic ?? (postId !== undefined && postSecret !== undefined ? { id: postId, secret: postSecret } : undefined);
    if (!creds) {
      return oauthError(
        res,
        401,
        'invalid_client',
        'client authentication is required: HTTP Basic (client_secret_basic) or client_id and client_secret in the body (client_secret_post)',
        true,
      );
    }
    if (creds.id !== opts.clientId || !sameSecret(creds.secret, opts.clientSecret)) {
      return oauthError(res, 401, 'invalid_client', 'unknown client_id or wrong client_secret', Boolean(basic));
    }
    if (body.grant_type === undefined)
      return oauthError(res, 400, 'invalid_request', 'grant_type is missing; use grant_type=client_credentials');
    if (body.grant_type !== 'client_credentials') {
      return oauthError(
        res,
        400,
        'unsupported_grant_type',
        `grant_type ${JSON.stringify(body.grant_type)} is not supported; use client_credentials`,
      );
    }
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(opts.tokens.issue());
  });
  router.use(bodyErrorHandler((res, info) => oauthError(res, info.status, 'invalid_request', info.message)));
  return router;
}
