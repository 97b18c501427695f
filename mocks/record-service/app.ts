/**
 * Mock Record Service: `POST /records` as the spec describes, judged against the reason catalogue,
 * registrations committed to SQLite before the answer, every call's verdict kept, plus the harness
 * endpoints under `/_harness/records` (diagnostics, reconciliation, faults, reset) and
 * `/_harness/clients`. The platform mounts the router at `/`; `createRecordServiceApp` is the
 * standalone app (Record Service + OAuth mock) for tests and the supplier's upload-client tests.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ClientConfig, Mode, Profile } from '../../core/config';
import { type Clock, systemClock } from '../../core/clock';
import type { KeyRing } from '../../core/keys';
import { type Logger, silentLogger } from '../../core/logger';
import { correlationId, describeBodyError, isJsonRequest, jsonBody } from '../../core/http';
import { maskNhsNumber, type NhsNumberRange } from '../../core/nhs-number';
import type { PackPatient } from '../../fixtures/pack';
import { HARNESS_WARNING_HEADER, OAUTH_MOUNT, createOAuthRouter, headerSafe, type JtiCache } from '../oauth/app';
import { REASON_CATALOGUE, type RecordsErrorCode } from './catalogue';
import { clientRegistry, type ClientRegistry } from './clients';
import { createClientAdminRouter } from './client-admin';
import { harnessError } from '../harness-errors';
import { checkCredential } from './auth';
import { FaultInjector, FaultValidationError, type FaultDecision } from './faults';
import { judgeRecordsCall, type BodyRead, type CredentialCheck, type Judgement } from './judge';
import type { RegistrationStore } from './store';
import { explain, outcomeOf, summarise, type RecordsCallVerdict } from './verdict';

export const VERDICT_HEADER = 'X-PCA-Harness-Verdict';
export const FAULT_HEADER = 'X-PCA-Harness-Fault';
export { HARNESS_WARNING_HEADER };
/** 5,000 numbers as JSON are about 70 KB; the limit leaves room for padding but not for abuse. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface RecordServiceDeps {
  clients: ClientRegistry | readonly ClientConfig[];
  mode: Mode;
  profile: Profile;
  syntheticRanges: readonly NhsNumberRange[];
  /** This environment's token URL: the `aud` access tokens must carry. */
  tokenUrl: () => string;
  keyRing: KeyRing;
  store: RegistrationStore;
  clock?: Clock;
  logger?: Logger;
  /** Looks a patient up in the loaded fixture pack (under 16, sensitive, excluded). */
  packLookup?: (nhsNumber: string) => PackPatient | undefined;
  /** An injector to share (e.g. with the platform), or options for one; default 30 s timeouts. */
  faults?: FaultInjector | { timeoutMs?: number };
  /** Whether a client's contract checks have passed (clients with requireContractPass). */
  contractPassed?: (clientId: string) => boolean;
  bodyLimitBytes?: number;
  /** Serve the one client-admin router under `/_harness` (`./client-admin`); default true. */
  clientAdmin?: boolean;
}

type ErrorBody = { code: RecordsErrorCode; data: string };

function errorBody(res: Response, status: number, code: RecordsErrorCode, data: string): void {
  res.status(status).json({ code, data } satisfies ErrorBody);
}

/** Sleeps unless the client goes away first; resolves false when it did. */
function pause(ms: number, res: Response): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    timer.unref();
    res.once('close', onClose);
  });
}

function credentialSummary(c: CredentialCheck): RecordsCallVerdict['credential'] {
  switch (c.kind) {
    case 'api-key':
    case 'access-token':
      return { kind: c.kind, clientId: c.client.clientId, fingerprint: c.fingerprint };
    case 'token-rejected':
      return { kind: 'unrecognised', clientId: c.clientId, fingerprint: c.fingerprint };
    case 'unknown-api-key':
      return { kind: 'unrecognised', fingerprint: c.fingerprint };
    default:
      return { kind: 'none' };
  }
}

function readBody(req: Request, err: unknown): BodyRead {
  if (err) {
    const info = describeBodyError(err);
    if (info?.problem === 'too-large') return { kind: 'too-large', message: info.message };
    return {
      kind: 'malformed',
      message: info?.message ?? `the request body could not be read: ${(err as Error)?.message ?? String(err)}`,
    };
  }
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (e) {
    return { kind: 'malformed', message: `the request body is not valid JSON: ${(e as Error).message}` };
  }
}

function bodyClientId(body: BodyRead): string | undefined {
  if (body.kind !== 'json' || typeof body.value !== 'object' || body.value === null) return undefined;
  const id = (body.value as { clientId?: unknown }).clientId;
  return typeof id === 'string' ? id : undefined;
}

function numbersIn(body: BodyRead): number {
  if (body.kind !== 'json' || typeof body.value !== 'object' || body.value === null) return 0;
  const n = (body.value as { nhsNumbers?: unknown }).nhsNumbers;
  return Array.isArray(n) ? n.length : 0;
}

function faultBody(status: 500 | 503 | 504, kind: 'error' | 'timeout', clientId: string): ErrorBody {
  if (status === 500)
    return {
      code: 'error.internal-server-error',
      data: `Internal server error (harness fault injection for clientId "${clientId}")`,
    };
  if (status === 503)
    return {
      code: 'error.service-unavailable',
      data: `Service unavailable (harness fault injection for clientId "${clientId}")`,
    };
  return {
    code: 'error.gateway-timeout',
    data:
      kind === 'timeout'
        ? `Request timed out (harness timeout emulation for clientId "${clientId}")`
        : `Gateway timeout (harness fault injection for clientId "${clientId}")`,
  };
}

function parseSince(v: unknown): Date | undefined | 'invalid' {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return 'invalid';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? 'invalid' : d;
}

function parseLimit(v: unknown, dflt: number, max: number): number | 'invalid' {
  if (v === undefined || v === '') return dflt;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) return 'invalid';
  return Number(v);
}

/** The first query parameter given more than once, as `/pulls` refuses them: a filter means one value. */
function repeatedParam(req: Request): string | undefined {
  return Object.keys(req.query).find((k) => Array.isArray(req.query[k]));
}

function isRecordServicePath(p: string): boolean {
  return p === '/records' || p === '/records/' || p.startsWith('/_harness/records');
}

/** Router for the platform to mount at `/`. */
export function createRecordServiceRouter(deps: RecordServiceDeps): Router {
  const clients = clientRegistry(deps.clients);
  const clock = deps.clock ?? systemClock;
  const baseLog = deps.logger ?? silentLogger();
  const faults =
    deps.faults instanceof FaultInjector
      ? deps.faults
      : new FaultInjector({ clients, timeoutMs: deps.faults?.timeoutMs });
  const store = deps.store;
  const raw = express.raw({ type: () => true, limit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES });
  const adminJson = jsonBody('256kb');
  // The platform may already give requests a correlation id; keep theirs.
  const withCorrelation = (() => {
    const mw = correlationId(baseLog);
    return (req: Request, res: Response, next: NextFunction) => (res.locals.log ? next() : mw(req, res, next));
  })();

  const router = express.Router({ strict: true, caseSensitive: true });

  function recordVerdict(
    req: Request,
    res: Response,
    j: Judgement | undefined,
    extra: {
      at: Date;
      status: number;
      credential: RecordsCallVerdict['credential'];
      faulted?: { status: number; kind: string; clientId: string };
    },
  ) {
    const registration =
      j && j.toRegister.length > 0 && j.client
        ? { clientId: j.client.clientId, nhsNumbers: j.toRegister, at: extra.at }
        : undefined;
    // Grouped with concurrent calls into one transaction; resolves once it is durable.
    return store.commitCall(registration, (result) => {
      const registered = registration ? result.newNhsNumbers.length + result.alreadyRegistered : 0;
      const received = j?.received ?? 0;
      const findings = j?.findings ?? [];
      const reasons = extra.faulted
        ? [
            explain({
              code: 'fault-injected',
              detail:
                extra.faulted.kind === 'timeout'
                  ? `the harness held the call and answered ${extra.faulted.status} (timeout emulation) for clientId "${extra.faulted.clientId}"`
                  : `the harness answered ${extra.faulted.status} for clientId "${extra.faulted.clientId}" (configured fault rate)`,
            }),
          ]
        : findings.map(explain);
      const counts = {
        outcome: outcomeOf(received, registered, Boolean(extra.faulted)),
        received,
        registered,
        newlyRegistered: registration ? result.newNhsNumbers.length : 0,
        alreadyRegistered: registration ? result.alreadyRegistered : 0,
        ignored: received - registered,
        reasons,
      };
      return {
        at: extra.at.toISOString(),
        summary: summarise(counts),
        status: extra.status,
        method: req.method,
        path: req.path,
        clientId: j?.bodyClientId ?? null,
        resourceType: j?.client?.resourceType,
        credential: extra.credential,
        mode: deps.mode,
        profile: deps.profile,
        correlationId: res.locals.correlationId,
        ...counts,
      };
    });
  }

  function warningFor(v: RecordsCallVerdict): string | undefined {
    if (v.reasons.length === 0) return undefined;
    const list = v.reasons.map((r) => `[${r.code}] ${r.detail}`).join('; ');
    return headerSafe(`${v.summary}. ${list}. Details: GET /_harness/records/diagnostics or pca-harness explain`);
  }

  async function handleRecords(req: Request, res: Response, bodyError: unknown): Promise<void> {
    const log = res.locals.log ?? baseLog;
    const at = clock.now();
    const tokenUrl = deps.tokenUrl();
    const body = readBody(req, bodyError);
    const credential = await checkCredential(req.get('authorization'), {
      clients,
      keyRing: deps.keyRing,
      tokenUrl,
      clock,
    });
    const credClientId =
      credential.kind === 'api-key' || credential.kind === 'access-token' ? credential.client.clientId : undefined;
    const faultClientId = bodyClientId(body) ?? credClientId;
    const decision: FaultDecision = faults.decide(faultClientId);
    if (!(await pause(decision.latencyMs, res))) return;

    if (decision.fault && faultClientId !== undefined) {
      const f = decision.fault;
      const open = await pause(f.waitMs, res);
      // What the supplier tried to send is still worth recording: the verdict counts it as not registered.
      const attempted: Judgement = {
        findings: [],
        bodyClientId: bodyClientId(body) ?? null,
        client: clients.get(faultClientId),
        received: numbersIn(body),
        toRegister: [],
        answer: { status: f.status, error: null },
      };
      const { verdict } = await recordVerdict(req, res, attempted, {
        at,
        status: f.status,
        credential: credentialSummary(credential),
        faulted: { status: f.status, kind: f.kind, clientId: faultClientId },
      });
      log.warn(
        { verdictId: verdict.id, clientId: faultClientId, status: f.status, fault: f.kind },
        'records call failed by fault injection',
      );
      if (!open) return;
      res.setHeader(VERDICT_HEADER, String(verdict.id));
      res.setHeader(FAULT_HEADER, f.kind === 'timeout' ? `timeout after ${f.waitMs} ms` : String(f.status));
      const warning = warningFor(verdict);
      if (warning) res.setHeader(HARNESS_WARNING_HEADER, warning);
      if (f.status === 503) res.setHeader('Retry-After', '1');
      res.status(f.status).json(faultBody(f.status, f.kind, faultClientId));
      return;
    }

    const j = judgeRecordsCall(
      { path: req.path, contentType: req.get('content-type'), contentTypeOk: isJsonRequest(req), credential, body, at },
      {
        mode: deps.mode,
        profile: deps.profile,
        syntheticRanges: deps.syntheticRanges,
        clients,
        tokenUrl,
        packLookup: deps.packLookup,
        contractPassed: deps.contractPassed,
      },
    );
    const { verdict } = await recordVerdict(req, res, j, {
      at,
      status: j.answer.status,
      credential: credentialSummary(credential),
    });
    log.info(
      {
        verdictId: verdict.id,
        clientId: verdict.clientId,
        status: verdict.status,
        received: verdict.received,
        registered: verdict.registered,
        ignored: verdict.ignored,
        reasons: verdict.reasons.map((r) => r.code),
      },
      'records call',
    );
    res.setHeader(VERDICT_HEADER, String(verdict.id));
    const warning = warningFor(verdict);
    if (warning) res.setHeader(HARNESS_WARNING_HEADER, warning);
    if (!j.answer.error) {
      res.status(200).json({ result: 'success' });
      return;
    }
    const bodyOut: Record<string, unknown> = { code: j.answer.error.code, data: j.answer.error.data };
    if (deps.mode === 'strict') {
      bodyOut.harness = {
        verdictId: verdict.id,
        summary: verdict.summary,
        reasons: verdict.reasons.map(({ code, title, detail, fix }) => ({ code, title, detail, fix })),
      };
    }
    res.status(j.answer.status).json(bodyOut);
  }

  for (const p of ['/records', '/records/']) {
    router.post(p, withCorrelation, (req, res, next) => {
      raw(req, res, (err?: unknown) => {
        handleRecords(req, res, err).catch(next);
      });
    });
    router.all(p, withCorrelation, (_req, res) => {
      res.setHeader('Allow', 'POST');
      errorBody(res, 405, 'error.method-not-allowed', 'Use POST /records');
    });
  }

  // ---- harness endpoints -------------------------------------------------------------------

  router.get('/_harness/records/catalogue', (_req, res) => {
    res.json({ reasons: REASON_CATALOGUE });
  });

  router.get('/_harness/records/diagnostics', (req, res) => {
    const repeated = repeatedParam(req);
    if (repeated) return harnessError(res, 400, 'bad-query', `give ${repeated} at most once`);
    const since = parseSince(req.query.since);
    if (since === 'invalid')
      return harnessError(res, 400, 'bad-query', 'since must be an ISO 8601 date-time, e.g. 2025-01-31T09:00:00Z');
    const limit = parseLimit(req.query.limit, 50, 1000);
    if (limit === 'invalid') return harnessError(res, 400, 'bad-query', 'limit must be a whole number from 1 to 1000');
    const clientId =
      typeof req.query.clientId === 'string' && req.query.clientId !== '' ? req.query.clientId : undefined;
    const verdicts = store.verdicts({ clientId, since, limit });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ count: verdicts.length, verdicts });
  });

  router.get('/_harness/records/diagnostics/:id', (req, res) => {
    const id = Number(req.params.id);
    const v = Number.isInteger(id) ? store.verdict(id) : undefined;
    if (!v) return harnessError(res, 404, 'not-found', `no verdict ${req.params.id}`);
    res.json(v);
  });

  router.get('/_harness/records/reconciliation', (req, res) => {
    const repeated = repeatedParam(req);
    if (repeated) return harnessError(res, 400, 'bad-query', `give ${repeated} at most once`);
    const clientId = req.query.clientId;
    if (typeof clientId !== 'string' || clientId === '')
      return harnessError(
        res,
        400,
        'bad-query',
        'clientId is required: /_harness/records/reconciliation?clientId=ID[&until=ISO]',
      );
    const untilParsed = parseSince(req.query.until);
    if (untilParsed === 'invalid')
      return harnessError(res, 400, 'bad-query', 'until must be an ISO 8601 date-time, e.g. 2025-01-31T23:59:59Z');
    const now = clock.now();
    const until = untilParsed ?? now;
    const out: Record<string, unknown> = {
      clientId,
      knownClient: clients.get(clientId) !== undefined,
      until: until.toISOString(),
      asOf: now.toISOString(),
      distinctNhsNumbers: store.countDistinct(clientId, until),
    };
    if (req.query.list === '1' || req.query.full === '1') {
      const limit = parseLimit(req.query.limit, 10_000, 100_000);
      if (limit === 'invalid')
        return harnessError(res, 400, 'bad-query', 'limit must be a whole number from 1 to 100000');
      const after = typeof req.query.after === 'string' ? req.query.after : undefined;
      const page = store.registrationsOf(clientId, { after, limit, until });
      const full = req.query.full === '1';
      out.nhsNumbers = page.map((r) => (full ? r.nhsNumber : maskNhsNumber(r.nhsNumber)));
      // The cursor is an NHS number; with a masked list it is not offered.
      if (full && page.length === limit) out.next = page[page.length - 1]!.nhsNumber;
      out.masked = !full;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(out);
  });

  router.get('/_harness/records/faults', (_req, res) => {
    res.json({ timeoutMs: faults.timeoutMs, clients: faults.stats() });
  });

  router.put('/_harness/records/faults/:clientId', adminJson, (req, res) => {
    try {
      faults.set(req.params.clientId as string, req.body as never);
      res.json({ clientId: req.params.clientId, ...faults.configFor(req.params.clientId as string) });
    } catch (e) {
      if (e instanceof FaultValidationError) return harnessError(res, 400, 'bad-request', e.message);
      throw e;
    }
  });

  router.delete('/_harness/records/faults/:clientId', (req, res) => {
    if (!faults.clear(req.params.clientId as string))
      return harnessError(res, 404, 'not-found', `no runtime faults set for clientId "${req.params.clientId}"`);
    res.status(204).end();
  });

  router.delete('/_harness/records/faults', (_req, res) => {
    faults.clearAll();
    res.status(204).end();
  });

  router.post('/_harness/records/reset', (_req, res) => {
    store.reset();
    res.status(204).end();
  });

  // The harness's one client-admin router; the platform mounts it itself, with the aggregator's extension.
  if (deps.clientAdmin ?? true) router.use('/_harness', createClientAdminRouter({ clients }));

  // Errors from other parts of the platform pass through untouched.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!isRecordServicePath(req.path) || res.headersSent) return next(err);
    const info = describeBodyError(err);
    if (req.path.startsWith('/_harness/')) {
      if (info) return harnessError(res, info.status, info.problem, info.message);
      (res.locals.log ?? baseLog).error({ err }, 'record service harness endpoint failed');
      return harnessError(res, 500, 'internal-error', 'the mock Record Service failed; see the harness log');
    }
    if (info)
      return errorBody(
        res,
        info.status,
        info.status === 413 ? 'error.payload-too-large' : 'error.bad-request',
        info.message,
      );
    (res.locals.log ?? baseLog).error({ err }, 'record service failed');
    errorBody(res, 500, 'error.internal-server-error', 'the mock Record Service failed; see the harness log');
  });
  return router;
}

export interface RecordServiceAppDeps extends RecordServiceDeps {
  jtiCache?: JtiCache;
}

/** Record Service at `/` and the OAuth mock at `/oauth2`, sharing one client registry. */
export function createRecordServiceApp(deps: RecordServiceAppDeps): express.Express {
  const clients = clientRegistry(deps.clients);
  const app = express();
  app.disable('x-powered-by');
  app.use('/', createRecordServiceRouter({ ...deps, clients }));
  app.use(
    OAUTH_MOUNT,
    createOAuthRouter({
      clients,
      keyRing: deps.keyRing,
      tokenUrl: deps.tokenUrl,
      clock: deps.clock,
      logger: deps.logger,
      jtiCache: deps.jtiCache,
    }),
  );
  app.use((req, res) => {
    const message = `no such endpoint: ${req.method} ${req.path}`;
    if (req.path.startsWith('/_harness/')) return harnessError(res, 404, 'not-found', message);
    errorBody(res, 404, 'error.not-found', message);
  });
  return app;
}
