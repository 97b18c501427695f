/**
 * API-platform OAuth mock: `POST /oauth2/token` with client credentials and a signed JWT client
 * assertion (RS512, kid, iss = sub = client id, aud = this token URL, unique jti, exp at most
 * 5 minutes ahead) verified against the client's registered public keys (ClientConfig.jwks).
 * Errors are the platform's bodies, and say which header or claim was wrong.
 */
import type Database from 'better-sqlite3';
import { CLOCK_TOLERANCE_S, futureTimeClaim } from '../../core/tokens';
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTPayload,
  type KeyLike,
  type ProtectedHeaderParameters,
} from 'jose';
import type { ClientConfig } from '../../core/config';
import { type Clock, epochSeconds, systemClock } from '../../core/clock';
import type { KeyRing } from '../../core/keys';
import { type Logger, silentLogger } from '../../core/logger';
import { describeBodyError } from '../../core/http';
import { clientRegistry, type ClientRegistry } from '../record-service/clients';
import { ACCESS_TOKEN_LIFETIME_S, CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME_S, issueAccessToken } from './tokens';
import { OAuthFailure, fail, oauthError, type OAuthErrorEntry } from './errors';

export const OAUTH_MOUNT = '/oauth2';
export const HARNESS_WARNING_HEADER = 'X-PCA-Harness-Warning';
/** The platform tolerates the harness's one clock skew on every time claim. */
const EXP_SKEW_S = CLOCK_TOLERANCE_S;

/**
 * Remembers assertion `jti`s until they expire, so an assertion cannot be replayed. Given a database
 * (the platform's, in the state dir) they survive a restart: an assertion refused as `jti-reused`
 * stays refused after one. Without, they live in memory (tests, standalone routers).
 */
export class JtiCache {
  private readonly seen = new Map<string, number>();
  private readonly db?: {
    get: Database.Statement<[string, string], { exp: number }>;
    put: Database.Statement<[string, string, number]>;
    prune: Database.Statement<[number]>;
  };
  private lastPrune = 0;

  constructor(db?: Database.Database) {
    if (!db) return;
    db.exec(
      'CREATE TABLE IF NOT EXISTS used_assertion_jtis (client_id TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL, PRIMARY KEY (client_id, jti)) WITHOUT ROWID',
    );
    this.db = {
      get: db.prepare('SELECT exp FROM used_assertion_jtis WHERE client_id = ? AND jti = ?'),
      put: db.prepare('INSERT OR REPLACE INTO used_assertion_jtis (client_id, jti, exp) VALUES (?, ?, ?)'),
      prune: db.prepare('DELETE FROM used_assertion_jtis WHERE exp < ?'),
    };
  }

  /** True when (clientId, jti) was used before and has not expired; otherwise remembers it until `exp`. */
  checkAndRemember(clientId: string, jti: string, exp: number, now: number): boolean {
    const horizon = now - EXP_SKEW_S;
    if (this.db) {
      if (now - this.lastPrune >= 60) {
        this.db.prune.run(horizon);
        this.lastPrune = now;
      }
      const known = this.db.get.get(clientId, jti);
      if (known !== undefined && known.exp >= horizon) return true;
      this.db.put.run(clientId, jti, exp);
      return false;
    }
    if (this.seen.size > 1000) for (const [k, e] of this.seen) if (e < horizon) this.seen.delete(k);
    const key = `${clientId}\n${jti}`;
    const known = this.seen.get(key);
    if (known !== undefined && known >= horizon) return true;
    this.seen.set(key, exp);
    return false;
  }

  has(clientId: string, jti: string): boolean {
    if (this.db) return this.db.get.get(clientId, jti) !== undefined;
    return this.seen.has(`${clientId}\n${jti}`);
  }
}

export interface OAuthDeps {
  clients: ClientRegistry | readonly ClientConfig[];
  keyRing: KeyRing;
  /** This environment's token URL (`{base}/oauth2/token`); a function because the port is known only after listening. */
  tokenUrl: () => string;
  clock?: Clock;
  logger?: Logger;
  jtiCache?: JtiCache;
  /** Access-token lifetime, default 599 s as the platform. */
  accessTokenLifetimeS?: number;
}

interface TokenForm {
  grant_type?: unknown;
  client_assertion_type?: unknown;
  client_assertion?: unknown;
  /** The platform's test override of the token lifetime (milliseconds, capped at 10 minutes). */
  _access_token_expiry_ms?: unknown;
}

function render(res: Response, entry: OAuthErrorEntry, detail?: string): void {
  res.setHeader(HARNESS_WARNING_HEADER, headerSafe(detail ? `${detail}. ${entry.hint}` : entry.hint));
  res.setHeader('Cache-Control', 'no-store');
  res.status(entry.status).json({ error: entry.error, error_description: entry.description, message_id: randomUUID() });
}

/** Header values must be one line of visible ASCII. */
export function headerSafe(s: string, max = 2000): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

async function publicKeyFor(client: ClientConfig, kid: string): Promise<KeyLike | Uint8Array> {
  const keys = client.jwks?.keys ?? [];
  if (keys.length === 0) fail('no-public-key', `clientId "${client.clientId}" has no registered public key (jwks)`);
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk)
    fail(
      'kid-unknown',
      `kid "${kid}" is not among the registered keys (${keys.map((k) => JSON.stringify(k.kid ?? null)).join(', ')})`,
    );
  try {
    return await importJWK(jwk as unknown as JWK, 'RS512');
  } catch (e) {
    return fail('signature-invalid', `the registered key "${kid}" cannot be used for RS512: ${(e as Error).message}`);
  }
}

/** The whole client-credentials check; throws OAuthFailure with the first problem found. */
async function authenticate(
  form: TokenForm,
  deps: { clients: ClientRegistry; tokenUrl: string; now: number; jtis: JtiCache },
): Promise<ClientConfig> {
  if (form.grant_type === undefined || form.grant_type === '') fail('grant-type-missing');
  if (form.grant_type !== 'client_credentials')
    fail('grant-type-invalid', `grant_type was ${JSON.stringify(form.grant_type)}`);
  if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE)
    fail('assertion-type-invalid', `client_assertion_type was ${JSON.stringify(form.client_assertion_type ?? null)}`);
  if (form.client_assertion === undefined || form.client_assertion === '') fail('assertion-missing');
  if (typeof form.client_assertion !== 'string')
    fail('assertion-malformed', 'client_assertion was given more than once');
  const assertion = form.client_assertion;

  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return fail('assertion-malformed');
  }
  if (!header.kid) fail('kid-missing');
  if (header.typ !== 'JWT') fail('typ-invalid', `typ was ${JSON.stringify(header.typ ?? null)}`);
  if (header.alg !== 'RS512') fail('alg-invalid', `alg was ${JSON.stringify(header.alg ?? null)}`);

  if (
    typeof claims.iss !== 'string' ||
    typeof claims.sub !== 'string' ||
    claims.iss === '' ||
    claims.iss !== claims.sub
  ) {
    fail(
      'iss-sub-mismatch',
      `iss was ${JSON.stringify(claims.iss ?? null)} and sub ${JSON.stringify(claims.sub ?? null)}; both must be the client id`,
    );
  }
  const client = deps.clients.get(claims.iss);
  if (!client) fail('iss-sub-unknown', `no client "${claims.iss}" is registered`);

  if (claims.jti === undefined) fail('jti-missing');
  if (typeof claims.jti !== 'string' || claims.jti === '') fail('jti-invalid', `jti was ${JSON.stringify(claims.jti)}`);
  const exp: unknown = claims.exp;
  if (exp === undefined) fail('exp-missing');
  if (typeof exp !== 'number' || !Number.isInteger(exp)) fail('exp-not-integer', `exp was ${JSON.stringify(exp)}`);
  if (exp <= deps.now) fail('exp-expired', `exp ${exp} is ${deps.now - exp} s in the past`);
  if (exp > deps.now + MAX_ASSERTION_LIFETIME_S + EXP_SKEW_S) fail('exp-too-far', `exp is ${exp - deps.now} s ahead`);
  const future = futureTimeClaim(claims, deps.now);
  if (future) fail(future.claim === 'nbf' ? 'nbf-in-future' : 'iat-in-future', future.message);

  const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
  if (aud.length !== 1 || aud[0] !== deps.tokenUrl)
    fail('aud-invalid', `aud was ${JSON.stringify(claims.aud ?? null)}; this token URL is ${deps.tokenUrl}`);

  const key = await publicKeyFor(client, header.kid);
  try {
    await compactVerify(assertion, key, { algorithms: ['RS512'] });
  } catch {
    fail('signature-invalid', `the signature does not verify with the registered key "${header.kid}"`);
  }
  // Remembered only once the assertion is authentic, so nobody can burn another client's jti.
  if (deps.jtis.checkAndRemember(client.clientId, claims.jti, exp, deps.now))
    fail('jti-reused', `jti "${claims.jti}" was already used`);
  return client;
}

function lifetimeFrom(form: TokenForm, fallback: number): number {
  const raw = form._access_token_expiry_ms;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return fallback;
  return Math.max(1, Math.min(Math.floor(Number(raw) / 1000), fallback));
}

/** Router to mount at `/oauth2`. */
export function createOAuthRouter(deps: OAuthDeps): Router {
  const clients = clientRegistry(deps.clients);
  const clock = deps.clock ?? systemClock;
  const baseLog = deps.logger ?? silentLogger();
  const jtis = deps.jtiCache ?? new JtiCache();
  const lifetime = deps.accessTokenLifetimeS ?? ACCESS_TOKEN_LIFETIME_S;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  router.post('/token', form, async (req: Request, res: Response, next) => {
    const log = res.locals.log ?? baseLog;
    try {
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as TokenForm;
      const tokenUrl = deps.tokenUrl();
      const contentType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/x-www-form-urlencoded' && body.grant_type === undefined) {
        return render(
          res,
          oauthError('grant-type-missing'),
          `the body must be application/x-www-form-urlencoded, got ${contentType || 'no Content-Type'}`,
        );
      }
      const client = await authenticate(body, { clients, tokenUrl, now: epochSeconds(clock), jtis });
      const { token, claims } = await issueAccessToken(deps.keyRing, {
        clientId: client.clientId,
        tokenUrl,
        lifetimeS: lifetimeFrom(body, lifetime),
        clock,
      });
      log.info({ clientId: client.clientId, expiresIn: claims.exp - claims.iat }, 'issued access token');
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        access_token: token,
        expires_in: String(claims.exp - claims.iat),
        token_type: 'Bearer',
        issued_at: String(clock.now().getTime()),
      });
    } catch (e) {
      if (e instanceof OAuthFailure) {
        log.info({ error: e.entry.code, detail: e.detail }, 'token request refused');
        return render(res, e.entry, e.detail);
      }
      next(e);
    }
  });

  router.all('/token', (_req, res) => {
    res.setHeader('Allow', 'POST');
    res.status(405).json({
      error: 'invalid_request',
      error_description: 'Use POST for the token endpoint',
      message_id: randomUUID(),
    });
  });

  router.use((err: unknown, _req: Request, res: Response, next: express.NextFunction) => {
    const info = describeBodyError(err);
    if (!info) return next(err);
    res.setHeader(HARNESS_WARNING_HEADER, headerSafe(info.message));
    res
      .status(info.status)
      .json({ error: 'invalid_request', error_description: info.message, message_id: randomUUID() });
  });
  return router;
}

/** A standalone app with the router at `/oauth2` (for tests). */
export function createOAuthApp(deps: OAuthDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(OAUTH_MOUNT, createOAuthRouter(deps));
  return app;
}
