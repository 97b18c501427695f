/**
 * The consumer API the NHS App calls: `GET /aggregator/events?patient:identifier=...|N` with the
 * patient's NHS login ID token. It checks the token and the patient (401, 403 UNDER_16_DENIED), limits
 * throughput (429 above 60 TPS, consumer:WF-NFR-03), fans out in parallel to every supplier holding a
 * registration for the patient (propagating the correlation id and the ID token, consumer:WF-NFR-09/14), and
 * answers one CarePlan bundle: 200 with data, 200 with an empty body when there is none (consumer:WF-NFR-07),
 * 207 with an OperationOutcome naming each failed upstream (consumer:WF-NFR-08), 504 past 10 s (consumer:WF-NFR-02).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { JWTVerifyGetKey } from 'jose';
import { type Clock, isUnder16, systemClock } from '../../core/clock';
import type { KeyRing } from '../../core/keys';
import { type Logger, silentLogger } from '../../core/logger';
import { type CarePlanActivity, FHIR_JSON, type OperationOutcome, type ProducerResource } from '../../core/fhir';
import { CORRELATION_HEADER, correlationId } from '../../core/http';
import { NHS_NUMBER_SYSTEM, parsePatientIdentifier } from '../../core/nhs-number';
import { formatDiagnostic, type SchemaDiagnostic } from '../../core/schema';
import { ID_TOKEN_REQUIRED_CLAIMS, type IdTokenClaims, localKeySet, TokenError, verifyJwt } from '../../core/tokens';
import { NHS_LOGIN_KEY } from '../nhs-login/app';
import { AGGREGATOR_URLS } from '../../contracts/schemas/aggregator';
import type { ErsReferral, WaitingListEntry } from '../../fixtures/pack';
import { applyBusinessRules, type BusinessRules, DEFAULT_BUSINESS_RULES } from './business-rules';
import {
  consumerBundle,
  referralActivity,
  type SupplierItem,
  supplierItems,
  type UpstreamIssue,
  waitingListCarePlan,
} from './care-plan';
import { FanOutStats } from './fan-out';
import type { MaintenanceSwitch } from './maintenance';
import {
  type ConsumerSources,
  ERS_CLIENT_ID,
  type SourceOutcome,
  sourceIssue,
  WAITING_LIST_CLIENT_ID,
} from './sources';
import {
  accessDenied,
  exampleAnswer,
  gatewayTimeoutOutcome,
  maintenanceOutcome,
  parsePrefer,
  type ScenarioDef,
  type SteeredAnswer,
} from './steering';
import { pullTarget, type RegistrationLookup, type SupplierDirectory } from './directory';
import { SlidingWindowLimiter } from './rate';
import {
  type BearerTokenCache,
  callSupplier,
  PRODUCER_TIMEOUT_MS,
  type ProducerBundleValidator,
  type UpstreamOutcome,
} from './upstream';

/** consumer:WF-NFR-03: 429 above 60 TPS. */
export const CONSUMER_RATE_LIMIT = 60;
/** consumer:WF-NFR-02: 504 after 10,000 ms. */
export const CONSUMER_TIMEOUT_MS = 10_000;

export interface AggregatorLimits {
  /** Requests per second before 429. */
  rateLimit?: number;
  /** Whole-request deadline before 504. */
  requestTimeoutMs?: number;
  /** Per-supplier deadline (the producer standard's 9 s). */
  upstreamTimeoutMs?: number;
  /** Bearer tokens accepted; empty or absent: any non-empty token. */
  consumerTokens?: string[];
}

export interface AggregatorDeps {
  directory: SupplierDirectory;
  registrations: RegistrationLookup;
  keyRing: KeyRing;
  /** The NHS login issuer whose tokens are accepted (`{base}/nhs-login`). */
  issuer: () => string;
  /** Base URL for fullUrl values. */
  baseUrl: () => string;
  tokens: BearerTokenCache;
  validate: ProducerBundleValidator;
  limits?: AggregatorLimits;
  /** The simulated waiting-list and e-RS sources; absent: the suppliers are the only upstreams. */
  sources?: ConsumerSources;
  /** Business-rule lists; default DEFAULT_BUSINESS_RULES. */
  rules?: BusinessRules;
  /** consumer:WF-NFR-06: while on, every consumer request answers 503. */
  maintenance?: MaintenanceSwitch;
  /** Where fan-out timings are recorded; default a new one (Aggregator.fanOut). */
  fanOut?: FanOutStats;
  /** Monotonic milliseconds for the fan-out figures; default `performance.now`. */
  now?: () => number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Work the consumer API has under way: requests being answered and supplier calls in flight (which
 * may outlive a request that already answered 504). Load tests assert it drains to 0.
 */
export class WorkGauge {
  requests = 0;
  upstreamCalls = 0;

  get pending(): number {
    return this.requests + this.upstreamCalls;
  }
}

export interface Aggregator {
  router: Router;
  gauge: WorkGauge;
  fanOut: FanOutStats;
}

function outcome(res: Response, status: number, code: string, diagnostics: string): void {
  // After a 504 the work carries on to its end, but must not try to answer twice.
  if (res.headersSent) return;
  const body: OperationOutcome = {
    resourceType: 'OperationOutcome',
    meta: { profile: [AGGREGATOR_URLS.operationOutcomeProfile] },
    issue: [{ severity: 'error', code, diagnostics }],
  };
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
}

/** The patient a producer resource names, wherever its type keeps it. */
function patientOf(r: ProducerResource): string | undefined {
  switch (r.resourceType) {
    case 'Appointment':
      return r.participant?.find((p) => p.actor?.type === 'Patient')?.actor?.identifier?.value;
    case 'DocumentReference':
      return r.subject?.identifier?.value;
    case 'Task':
      return r.for?.identifier?.value;
    default:
      return undefined;
  }
}

/**
 * The aggregator's own validation on top of the schema: a bundle naming any other patient is refused
 * whole, as a schema failure is, so one patient's data can never reach another.
 */
function otherPatientProblem(
  result: Extract<UpstreamOutcome, { kind: 'ok' }>,
  nhsNumber: string,
): SchemaDiagnostic | undefined {
  const entries = result.bundle.entry ?? [];
  for (let i = 0; i < entries.length; i++) {
    const p = patientOf(entries[i]!.resource as ProducerResource);
    if (p !== undefined && p !== nhsNumber) {
      return {
        pointer: `/entry/${i}/resource`,
        rule: 'same-patient',
        message: 'names a different patient than the one requested',
        schemaPath: '',
      };
    }
  }
  return undefined;
}

function issueFor(clientId: string, r: UpstreamOutcome): UpstreamIssue | undefined {
  switch (r.kind) {
    case 'ok':
      return undefined;
    case 'timeout':
      return { clientId, code: 'timeout', diagnostics: `${clientId} request timed out` };
    case 'http-error':
      return { clientId, code: 'transient', diagnostics: `http-${r.status}` };
    case 'invalid': {
      const first = r.diagnostics.slice(0, 3).map(formatDiagnostic).join('; ');
      return { clientId, code: 'structure', diagnostics: `Response failed validation${first ? `: ${first}` : ''}` };
    }
    case 'error':
      return { clientId, code: 'exception', diagnostics: `Error querying ${clientId} endpoint` };
  }
}

const DEADLINE = Symbol('deadline');

/** The API platform's check: `Authorization: Bearer <token>`, any non-empty token unless a list is configured. */
function bearerProblem(header: string | undefined, accepted: readonly string[] | undefined): string | undefined {
  if (!header) return 'the Authorization header is required: "Bearer <access token from the API platform>"';
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) return 'the Authorization header must be "Bearer <access token>"';
  if (accepted && accepted.length > 0 && !accepted.includes(m[1]!))
    return 'the bearer token is not one this platform accepts (platform.aggregator.consumerTokens)';
  return undefined;
}

function sendSteered(res: Response, a: SteeredAnswer): void {
  if (res.headersSent) return;
  if (a.headers) res.set(a.headers);
  res.status(a.status);
  if (a.body === undefined) {
    res.end();
    return;
  }
  if (a.contentType) res.type(a.contentType).send(JSON.stringify(a.body));
  else res.json(a.body);
}

export function createAggregator(deps: AggregatorDeps): Aggregator {
  const clock = deps.clock ?? systemClock;
  const log = (deps.logger ?? silentLogger()).child({ component: 'aggregator' });
  const limiter = new SlidingWindowLimiter(deps.limits?.rateLimit ?? CONSUMER_RATE_LIMIT, 1000);
  const requestTimeoutMs = deps.limits?.requestTimeoutMs ?? CONSUMER_TIMEOUT_MS;
  const rules = deps.rules ?? DEFAULT_BUSINESS_RULES;
  const fanOut = deps.fanOut ?? new FanOutStats();
  const now = deps.now ?? (() => performance.now());
  /** Times an in-process source call for the fan-out figures. */
  const timed = async <T>(name: string, call: Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      return await call;
    } finally {
      fanOut.recordUpstream(name, now() - t0);
    }
  };
  const upstreamTimeoutMs = deps.limits?.upstreamTimeoutMs ?? PRODUCER_TIMEOUT_MS;
  const gauge = new WorkGauge();
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const keys = () => (keySet ??= deps.keyRing.jwks(NHS_LOGIN_KEY).then(localKeySet));

  const router = express.Router();
  const withCorrelation = correlationId(log);
  // The platform may have given the request its correlation id already; keep it.
  router.use((req, res, next) => (res.locals.correlationId ? next() : withCorrelation(req, res, next)));

  router.get('/events', async (req: Request, res: Response) => {
    // The API platform answers before the aggregator sees the request: bearer first (consumer 4XX table).
    const denied = bearerProblem(req.get('Authorization'), deps.limits?.consumerTokens);
    if (denied) {
      res.set('WWW-Authenticate', 'Bearer');
      res
        .status(401)
        .type(FHIR_JSON)
        .send(JSON.stringify(accessDenied(denied)));
      return;
    }
    const prefer = parsePrefer(req.headers.prefer);
    if (!prefer.ok) {
      outcome(res, 422, 'not-supported', prefer.message);
      return;
    }
    if (!limiter.tryAcquire()) {
      // APIM answers rate limiting with plain JSON, not FHIR (consumer spec, example rateLimit).
      res
        .status(429)
        .set('Retry-After', String(Math.max(1, Math.ceil(limiter.retryAfterMs() / 1000))))
        .json({
          message: `Your application has exceeded its quota of ${limiter.limit} requests every 1 second(s) and is being rate limited.`,
          scope: 'application',
          policy: 'spike-arrest',
          limit: limiter.limit,
          interval: 1,
          timeunit: 'second',
          ratelimiting_expiry_time_ms: clock.now().getTime() + limiter.retryAfterMs(),
          message_id: res.locals.correlationId,
        });
      return;
    }
    if (deps.maintenance?.on) {
      res.set('Retry-After', '3600');
      res
        .status(503)
        .type(FHIR_JSON)
        .send(JSON.stringify(maintenanceOutcome(deps.maintenance.message)));
      return;
    }
    const steering = prefer.steering;
    if (steering.kind === 'example') {
      const id = parsePatientIdentifier(req.query['patient:identifier']);
      sendSteered(
        res,
        exampleAnswer(steering.name, {
          correlationId: res.locals.correlationId,
          nhsNumber: id.ok ? id.nhsNumber : '9000000009',
          baseUrl: deps.baseUrl(),
          now: clock.now(),
        }),
      );
      return;
    }
    gauge.requests += 1;
    let deadline: NodeJS.Timeout | undefined;
    try {
      // `work` never rejects, so a failure after the deadline answered cannot go unhandled.
      const work = answer(req, res, steering.kind === 'scenario' ? steering.failures : {}).then(
        () => undefined,
        (e: unknown) => ({ failed: e }),
      );
      const timeout = new Promise<typeof DEADLINE>((resolve) => {
        deadline = setTimeout(() => resolve(DEADLINE), requestTimeoutMs);
      });
      const first = await Promise.race([work, timeout]);
      if (first === DEADLINE) {
        if (!res.headersSent) {
          res.locals.log.warn({ requestTimeoutMs }, 'consumer request passed its deadline: 504');
          res
            .status(504)
            .type(FHIR_JSON)
            .send(JSON.stringify(gatewayTimeoutOutcome(requestTimeoutMs)));
        }
        const late = await work;
        if (late) res.locals.log.error({ err: late.failed }, 'consumer request failed after its deadline');
      } else if (first) {
        res.locals.log.error({ err: first.failed }, 'consumer request failed');
        outcome(res, 500, 'exception', 'An internal server error occurred');
      }
    } finally {
      clearTimeout(deadline);
      gauge.requests -= 1;
    }
  });

  /** Everything after rate limiting; writes the response unless the deadline already did. */
  async function answer(req: Request, res: Response, failures: ScenarioDef['failures']): Promise<void> {
    const id = parsePatientIdentifier(req.query['patient:identifier']);
    if (!id.ok) {
      const diag = id.reason === 'missing' ? '"patient:identifier" is required' : id.message;
      return outcome(res, 400, 'exception', diag);
    }
    const nhsNumber = id.nhsNumber;
    const idToken = req.get('NHSD-ID-Token');
    if (!idToken)
      return outcome(
        res,
        401,
        'processing',
        'the NHSD-ID-Token header is required: an NHS login ID token for the patient',
      );
    let claims: IdTokenClaims;
    try {
      claims = await verifyJwt<IdTokenClaims>(idToken, await keys(), {
        issuer: deps.issuer(),
        clock,
        requiredClaims: ID_TOKEN_REQUIRED_CLAIMS,
      });
    } catch (e) {
      const why = e instanceof TokenError ? e.message : 'the token could not be verified';
      return outcome(res, 401, 'processing', `NHSD-ID-Token is not a valid NHS login ID token: ${why}`);
    }
    if (claims.nhs_number !== nhsNumber) {
      return outcome(
        res,
        401,
        'processing',
        `"patient:identifier" with value "${NHS_NUMBER_SYSTEM}|${nhsNumber}" fails to match the required NHS login token subject ${claims.nhs_number}`,
      );
    }
    let under16: boolean;
    try {
      under16 = isUnder16(claims.birthdate, clock.now());
    } catch {
      return outcome(res, 401, 'processing', 'the NHS login ID token birthdate is not a date (YYYY-MM-DD)');
    }
    if (under16) return outcome(res, 403, 'forbidden', 'UNDER_16_DENIED');

    const corr = res.locals.correlationId;
    const fanOutStarted = now();
    const targets = deps.registrations.clientIdsFor(nhsNumber).map((c) => pullTarget(deps.directory, c));
    const callable = targets.filter((t) => t.ok);
    for (const t of targets)
      if (!t.ok) res.locals.log.debug({ clientId: t.clientId, reason: t.reason }, 'registered supplier not called');

    const waitingListCall: Promise<SourceOutcome<WaitingListEntry>> = deps.sources
      ? timed(WAITING_LIST_CLIENT_ID, deps.sources.waitingList(nhsNumber, failures['waiting-list']))
      : Promise.resolve({ kind: 'ok', items: [] });
    const referralsCall: Promise<SourceOutcome<ErsReferral>> = deps.sources
      ? timed(ERS_CLIENT_ID, deps.sources.referrals(nhsNumber, failures.referrals))
      : Promise.resolve({ kind: 'ok', items: [] });
    const supplierCalls = Promise.all(
      callable.map(async (t) => {
        gauge.upstreamCalls += 1;
        try {
          const r = await callSupplier(
            {
              endpoint: t.endpoint,
              resourceType: t.resourceType,
              nhsNumber,
              idToken,
              correlationId: corr,
              timeoutMs: upstreamTimeoutMs,
            },
            deps.tokens,
            deps.validate,
          );
          fanOut.recordUpstream(t.clientId, r.latencyMs);
          return { clientId: t.clientId, result: r };
        } finally {
          gauge.upstreamCalls -= 1;
        }
      }),
    );
    const [results, waitingList, referrals] = await Promise.all([supplierCalls, waitingListCall, referralsCall]);

    const issues: UpstreamIssue[] = [];
    const items: SupplierItem[] = [];
    const referralActivities: CarePlanActivity[] = [];
    if (referrals.kind === 'ok') referralActivities.push(...referrals.items.map(referralActivity));
    else issues.push(sourceIssue('referrals', referrals));
    if (waitingList.kind !== 'ok') issues.push(sourceIssue('waiting-list', waitingList));
    for (const { clientId, result } of results) {
      let r: UpstreamOutcome = result;
      if (r.kind === 'ok') {
        const other = otherPatientProblem(r, nhsNumber);
        if (other)
          r = { kind: 'invalid', status: r.status, latencyMs: r.latencyMs, text: r.text, diagnostics: [other] };
      }
      const issue = issueFor(clientId, r);
      const line = {
        clientId,
        outcome: r.kind,
        status: 'status' in r ? r.status : undefined,
        latencyMs: Math.round(r.latencyMs),
      };
      if (issue)
        res.locals.log.info(
          { ...line, issue: issue.code, diagnostics: issue.diagnostics },
          'upstream failed: reported in the OperationOutcome',
        );
      else res.locals.log.debug(line, 'upstream answered');
      if (issue) issues.push(issue);
      else if (r.kind === 'ok') items.push(...supplierItems(r.bundle, clientId));
    }
    if (res.headersSent) return;
    const ruled = applyBusinessRules(
      { now: clock.now(), supplierItems: items, waitingList: waitingList.kind === 'ok' ? waitingList.items : [] },
      rules,
    );
    for (const i of ruled.issues)
      res.locals.log.info({ clientId: i.clientId, rule: i.diagnostics.slice(0, 7) }, 'business rule applied');
    const bundle = consumerBundle({
      correlationId: corr,
      nhsNumber,
      activities: [...referralActivities, ...ruled.activities],
      issues: [...issues, ...ruled.issues],
      waitingLists: ruled.waitingLists.map((w) => waitingListCarePlan(w.entry, nhsNumber, w.activity)),
      baseUrl: deps.baseUrl(),
    });
    res.setHeader(CORRELATION_HEADER, corr);
    fanOut.recordRequest(now() - fanOutStarted);
    if (!bundle) {
      res.status(200).end();
      return;
    }
    res
      // A business rule is information, not a failure: only upstream errors make it partial (consumer:WF-NFR-08).
      .status(issues.length > 0 ? 207 : 200)
      .type(FHIR_JSON)
      .send(JSON.stringify(bundle));
  }

  router.all('/events', (_req, res) => {
    res.set('Allow', 'GET');
    outcome(res, 405, 'not-supported', 'only GET is supported on /aggregator/events');
  });

  return { router, gauge, fanOut };
}
