/**
 * The reference supplier: a Get Appointments / DocumentReference / Task API built to the producer
 * standard from a fixture pack. The request pipeline (latency, bearer, patient:identifier,
 * NHSD-ID-Token, proofing level, NHS number and date-of-birth cross-checks, age, bundle) produces a
 * Reply; how the Reply becomes bytes, and every other point a fault can bend, is a hook of the
 * ApiBehaviour chosen once at start-up (behaviour.ts).
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { type Clock, isUnder16, systemClock } from '../../core/clock';
import type { Bundle, BundleEntry, ProducerResourceType } from '../../core/fhir';
import { correlationId } from '../../core/http';
import { type Logger, silentLogger } from '../../core/logger';
import { checkNhsNumber, parsePatientIdentifier, seededRandom } from '../../core/nhs-number';
import { TokenError } from '../../core/tokens';
import { type FixturePack, PackIndex } from '../../fixtures/pack';
import { type ApiBehaviour, apiBehaviour, type Reply, searchset } from './behaviour';
import { ERRORS, type SupplierError } from './errors';
import { type FaultName, isApiFault } from './faults';
import { createIdTokenVerifier, NhsLoginUnavailableError } from './id-token';
import { AccessTokens, tokenRouter } from './oauth';
import { SlidingWindowLimiter } from './rate-limit';

export interface SupplierPaths {
  appointments: string;
  documents: string;
  tasks: string;
}

export const DEFAULT_SUPPLIER_PATHS: SupplierPaths = {
  appointments: '/Appointment',
  documents: '/DocumentReference',
  tasks: '/Task',
};
/** WF-NFR-03. */
export const DEFAULT_RATE_LIMIT_TPS = 60;
/** WF-NFR-02. */
export const DEFAULT_DEADLINE_MS = 9_000;

export interface SupplierDeps {
  pack: FixturePack;
  /** Break the supplier in exactly one way (an `api` fault from faults.ts). */
  fault?: FaultName;
  clock?: Clock;
  logger?: Logger;
  /** NHS login issuer; its JWKS is discovered from `{issuer}/.well-known/openid-configuration`. */
  nhsLoginIssuer: string;
  /** Credentials the PCA presents at `POST /oauth2/token`. */
  clientId: string;
  clientSecret: string;
  paths?: Partial<SupplierPaths>;
  rateLimitTps?: number;
  deadlineMs?: number;
  /** Fixed latency added to every data request (load-test baselines). */
  latencyMs?: number;
  /** Used for OIDC discovery. */
  fetchImpl?: typeof fetch;
  accessTokenLifetimeS?: number;
  /** Source of randomness for fault latencies; seeded by default so runs repeat. */
  random?: () => number;
  /**
   * How added latency (fixed or a fault's) is waited for: default a timer, cut short when the
   * deadline aborts the request. Tests pass one that records what was asked and returns at once.
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const RESOURCE_BY_PATH_KEY: Record<keyof SupplierPaths, ProducerResourceType> = {
  appointments: 'Appointment',
  documents: 'DocumentReference',
  tasks: 'Task',
};

function resolvePaths(given: Partial<SupplierPaths> = {}): Map<string, ProducerResourceType> {
  const paths = { ...DEFAULT_SUPPLIER_PATHS, ...given };
  const byPath = new Map<string, ProducerResourceType>();
  for (const [key, p] of Object.entries(paths) as Array<[keyof SupplierPaths, string]>) {
    if (!/^\/[^?#]*$/.test(p))
      throw new Error(`supplier path for ${key} must start with "/" and have no query: "${p}"`);
    if (byPath.has(p)) throw new Error(`supplier paths must differ: "${p}" is used twice`);
    byPath.set(p, RESOURCE_BY_PATH_KEY[key]);
  }
  return byPath;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function fail(error: SupplierError): Reply {
  return { kind: 'error', error };
}

export function createSupplierApp(deps: SupplierDeps): express.Express {
  if (deps.fault && !isApiFault(deps.fault))
    throw new Error(`fault "${deps.fault}" affects the upload client, not the API`);
  const behaviour: ApiBehaviour = apiBehaviour(deps.fault);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger();
  const index = new PackIndex(deps.pack);
  const byPath = resolvePaths(deps.paths);
  const rateLimitTps = deps.rateLimitTps ?? DEFAULT_RATE_LIMIT_TPS;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const latencyMs = deps.latencyMs ?? 0;
  const random = deps.random ?? seededRandom(1);
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0)
    throw new Error(`deadlineMs must be a positive number of milliseconds (got ${deadlineMs})`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new Error(`latencyMs must be zero or more (got ${latencyMs})`);
  // WF-NFR-03 applies to each API, so each endpoint has its own window.
  const limiters = new Map([...byPath.values()].map((t) => [t, new SlidingWindowLimiter(rateLimitTps)]));
  const tokens = new AccessTokens(clock, deps.accessTokenLifetimeS);
  const verifier = createIdTokenVerifier({ issuer: deps.nhsLoginIssuer, clock, fetchImpl: deps.fetchImpl });

  /** The producer standard, step by step; each refusal is the standard's error for that step. */
  async function serveData(type: ProducerResourceType, req: Request, signal: AbortSignal): Promise<Reply> {
    const latency = latencyMs + behaviour.addedLatencyMs(random);
    if (latency > 0) await (deps.sleep ?? sleep)(latency, signal);
    if (signal.aborted) return fail(ERRORS.gatewayTimeout());

    if (behaviour.checkBearer) {
      const bearer = tokens.check(req.get('authorization'));
      if (!bearer.valid) return fail(ERRORS.invalidAccessToken(bearer.reason));
    }

    const raw = req.query['patient:identifier'];
    const parsed = parsePatientIdentifier(raw);
    if (!parsed.ok) {
      if (parsed.reason === 'missing') return fail(ERRORS.missingIdentifier());
      if (typeof raw !== 'string') return fail(ERRORS.repeatedIdentifier());
      if (parsed.reason === 'check-digit')
        return fail(ERRORS.invalidIdentifier(raw, checkNhsNumber(raw.slice(raw.indexOf('|') + 1)).message));
      return fail(ERRORS.invalidIdentifier(raw));
    }
    const nhsNumber = parsed.nhsNumber;

    const idToken = req.get('nhsd-id-token');
    if (!idToken) return fail(ERRORS.missingIdToken());
    let claims;
    try {
      claims = await verifier.verify(idToken.trim(), behaviour.idTokenCheck);
    } catch (e) {
      if (e instanceof NhsLoginUnavailableError) return fail(ERRORS.nhsLoginUnavailable(e.message));
      if (e instanceof TokenError) return fail(ERRORS.invalidIdToken(e.message));
      throw e;
    }
    if (typeof claims.birthdate !== 'string' || !DATE.test(claims.birthdate))
      return fail(ERRORS.invalidIdToken('the birthdate claim is missing or not YYYY-MM-DD'));
    if (typeof claims.nhs_number !== 'string') return fail(ERRORS.invalidIdToken('the nhs_number claim is missing'));
    if (!behaviour.allowedProofingLevels.includes(claims.identity_proofing_level))
      return fail(ERRORS.proofingLevel(claims.identity_proofing_level));
    if (behaviour.crossCheckNhsNumber && claims.nhs_number !== nhsNumber)
      return fail(ERRORS.nhsNumberMismatch(nhsNumber, claims.nhs_number));
    const patient = index.get(nhsNumber);
    if (behaviour.crossCheckBirthDate && patient && claims.birthdate !== patient.birthDate)
      return fail(ERRORS.birthDateMismatch());
    if (behaviour.checkUnder16 && isUnder16(claims.birthdate, clock.now())) return fail(ERRORS.under16());

    const expected = index.expected(nhsNumber, type);
    // A copy, so no hook can change the pack for later requests.
    const base: Bundle | undefined = expected ? structuredClone(expected) : undefined;
    const bundle = searchset((base?.entry ?? []) as BundleEntry[], base);
    return { kind: 'bundle', bundle: behaviour.shapeBundle(bundle, { resourceType: type, nhsNumber, patient, index }) };
  }

  /** WF-NFR-02: past the deadline the caller gets a 504 and the late result is dropped. */
  async function withDeadline(work: (signal: AbortSignal) => Promise<Reply>): Promise<Reply> {
    const ac = new AbortController();
    if (!behaviour.enforceDeadline) return work(ac.signal);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<Reply>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        resolve(fail(ERRORS.gatewayTimeout()));
      }, deadlineMs);
    });
    const running = work(ac.signal);
    running.catch(() => undefined);
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  function send(res: Response, reply: Reply): void {
    const r = behaviour.render(reply);
    if (r.headers) res.set(r.headers);
    res.status(r.status);
    if (r.body === '') {
      res.end();
      return;
    }
    if (r.contentType) res.setHeader('Content-Type', `${r.contentType}; charset=utf-8`);
    res.send(r.body);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(correlationId(logger, { echo: behaviour.echoCorrelationId }));
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      // Path only: the query holds the NHS number (WF-NFR-09), and the logger masks it anyway.
      res.locals.log.info(
        { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  });

  // For orchestrators (docker-compose healthchecks, CI wait loops); carries no patient data.
  app.get('/_harness/health', (_req, res) => {
    res.json({
      status: 'ok',
      service: 'pca-harness reference supplier',
      fault: deps.fault ?? null,
      endpoints: [...byPath.keys()],
    });
  });

  app.use(tokenRouter({ clientId: deps.clientId, clientSecret: deps.clientSecret, tokens }));

  app.use(async (req, res, next) => {
    const type = byPath.get(req.path);
    if (!type) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, fail(ERRORS.methodNotAllowed(req.method, req.path)));
    if (behaviour.enforceRateLimit && !limiters.get(type)!.tryAcquire(clock.now().getTime()))
      return send(res, fail(ERRORS.rateLimited(rateLimitTps)));
    const reply = await withDeadline((signal) => serveData(type, req, signal));
    if (reply.kind === 'error' && reply.error.status >= 500)
      res.locals.log.warn(
        { status: reply.error.status, diagnostics: reply.error.outcome.issue[0]?.diagnostics },
        'data request failed',
      );
    send(res, reply);
  });

  app.use((req, res) => send(res, fail(ERRORS.notFound(req.method, req.path, [...byPath.keys()]))));

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    (res.locals.log ?? logger).error({ err }, 'unhandled error');
    if (res.headersSent) return res.end();
    send(res, fail(ERRORS.internal()));
  };
  app.use(onError);
  return app;
}
