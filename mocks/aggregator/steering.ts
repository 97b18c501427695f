/**
 * Per-request steering of the consumer API, as Prism's `Prefer` header and WireMock's scenarios
 * allow: a consumer-side test asks for one outcome for one request.
 *
 *   Prefer: code=504                     the consumer spec's answer for that status
 *   Prefer: example=<name>               a named example answer (see CONSUMER_EXAMPLES)
 *   Prefer: scenario=<name>              the real pipeline, with one upstream made to fail (SCENARIOS)
 *
 * A preference that names nothing the mock knows is refused with 422 and the list of what it does
 * know; a misspelt name never silently falls through to a normal answer. Preferences the mock does
 * not steer by (RFC 7240's `return=...`, `respond-async`, ...) are ignored, as the RFC asks.
 */
import { type Bundle, type CarePlan, FHIR_JSON, type OperationOutcome, spineErrorDetails } from '../../core/fhir';
import { AGGREGATOR_URLS } from '../../contracts/schemas/aggregator';
import {
  consumerBundle,
  referralActivity,
  type UpstreamIssue,
  waitingListCarePlan,
  waitingListPifuActivity,
} from './care-plan';
import type { SourceFailure, SourceName } from './sources';

export interface SteeredAnswer {
  status: number;
  /** Undefined: an empty body (consumer:WF-NFR-07). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ExampleContext {
  correlationId: string;
  nhsNumber: string;
  baseUrl: string;
  now: Date;
}

interface ExampleDef {
  status: number;
  summary: string;
  build(ctx: ExampleContext): SteeredAnswer;
}

function errorOutcome(code: string, diagnostics: string, extra: Record<string, unknown> = {}): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    meta: { profile: [AGGREGATOR_URLS.operationOutcomeProfile] },
    issue: [{ severity: 'error', code, diagnostics, ...extra }],
  };
}

const fhir = (status: number, body: unknown, headers?: Record<string, string>): SteeredAnswer => ({
  status,
  body,
  contentType: FHIR_JSON,
  ...(headers ? { headers } : {}),
});

/** The consumer API's 401 body (example invalidAuthToken, with the table's `processing` code). */
export function accessDenied(diagnostics: string): OperationOutcome {
  return errorOutcome('processing', diagnostics, spineErrorDetails('ACCESS_DENIED', 'Invalid access token'));
}

/** consumer:WF-NFR-06: the body answered during maintenance. */
export function maintenanceOutcome(message?: string): OperationOutcome {
  return errorOutcome(
    'transient',
    message ?? 'The Patient Care Aggregator is undergoing maintenance; try again later (consumer:WF-NFR-06)',
  );
}

/** consumer:WF-NFR-02: the body answered when the request passes its deadline. */
export function gatewayTimeoutOutcome(timeoutMs: number): OperationOutcome {
  return errorOutcome('timeout', `The request did not complete within ${timeoutMs} ms`);
}

function bundleAnswer(
  ctx: ExampleContext,
  parts: { activities?: CarePlan['activity']; issues?: UpstreamIssue[]; waitingLists?: CarePlan[] },
  status?: number,
): SteeredAnswer {
  const bundle: Bundle | undefined = consumerBundle({
    correlationId: ctx.correlationId,
    nhsNumber: ctx.nhsNumber,
    activities: parts.activities ?? [],
    issues: parts.issues ?? [],
    waitingLists: parts.waitingLists ?? [],
    baseUrl: ctx.baseUrl,
  });
  if (!bundle) return { status: 200 };
  return fhir(status ?? ((parts.issues ?? []).some((i) => i.severity !== 'information') ? 207 : 200), bundle);
}

const day = (now: Date, offsetDays: number): string =>
  new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

function sampleWaitingList(ctx: ExampleContext, pifu: boolean): CarePlan {
  const entry = {
    pathwayId: 'RFF~EXAMPLE0001',
    title: 'Ophthalmology',
    ods: 'RFF',
    orgName: 'Barnsley Hospital NHS Foundation Trust',
    start: day(ctx.now, -120),
    plannedWaitWeeks: 22,
    percentile80WaitWeeks: 25,
    ...(pifu
      ? {
          pifu: {
            status: 'not-started' as const,
            description: 'Ophthalmology',
            start: `${day(ctx.now, -30)}T00:00:00.000Z`,
            end: `${day(ctx.now, 150)}T00:00:00.000Z`,
          },
        }
      : {}),
  };
  return waitingListCarePlan(entry, ctx.nhsNumber, waitingListPifuActivity(entry));
}

/**
 * Named example answers. The names are the consumer spec's example names where the answer is the
 * same idea; every body is built by the mock's own code for the requested patient, so it passes the
 * project's aggregator schemas.
 */
export const CONSUMER_EXAMPLES: Record<string, ExampleDef> = {
  emptyBundle: {
    status: 200,
    summary: 'no data and no upstream errors: 200 with an empty body',
    build: () => ({ status: 200 }),
  },
  incompleteWaitingLists: {
    status: 200,
    summary: 'one active waiting list with planned and 80th-percentile waits',
    build: (ctx) => bundleAnswer(ctx, { waitingLists: [sampleWaitingList(ctx, false)] }),
  },
  pifuOneWaitingListOnePifu: {
    status: 200,
    summary: 'one waiting list with a not-started PIFU questionnaire from the waiting-list source',
    build: (ctx) => bundleAnswer(ctx, { waitingLists: [sampleWaitingList(ctx, true)] }),
  },
  referralActiveBookable: {
    status: 200,
    summary: 'one bookable e-RS referral',
    build: (ctx) =>
      bundleAnswer(ctx, {
        activities: [
          referralActivity({
            ubrn: '000000000001',
            state: 'bookable',
            specialty: 'Ear, Nose & Throat',
            description: 'ENT - Otology - Barnsley',
            created: `${day(ctx.now, -7)}T10:00:00.000Z`,
            ods: 'RFF',
            orgName: 'Barnsley Hospital NHS Foundation Trust',
          }),
        ],
      }),
  },
  operationOutcomeBusinessRule: {
    status: 200,
    summary: 'a record suppressed by AGGBR30, reported as an information issue',
    build: (ctx) =>
      bundleAnswer(ctx, {
        issues: [
          {
            clientId: 'myportal-01',
            code: 'business-rule',
            severity: 'information',
            diagnostics: `AGGBR30: rejected Appointment example-1 with date ${day(ctx.now, -3300)}T09:15:00+00:00 due to being over 8 years in the past`,
          },
        ],
      }),
  },
  upstreamTimeout: {
    status: 207,
    summary: 'one supplier timed out',
    build: (ctx) =>
      bundleAnswer(ctx, {
        issues: [{ clientId: 'myportal-01', code: 'timeout', diagnostics: 'myportal-01 request timed out' }],
      }),
  },
  upstreamFailedValidation: {
    status: 207,
    summary: "one supplier's response failed validation",
    build: (ctx) =>
      bundleAnswer(ctx, {
        issues: [{ clientId: 'myportal-01', code: 'structure', diagnostics: 'Response failed validation' }],
      }),
  },
  upstreamHttpStatusError: {
    status: 207,
    summary: 'one supplier answered an HTTP error',
    build: (ctx) =>
      bundleAnswer(ctx, { issues: [{ clientId: 'myportal-01', code: 'transient', diagnostics: 'http-500' }] }),
  },
  upstreamUnexpected: {
    status: 207,
    summary: 'one supplier failed unexpectedly',
    build: (ctx) =>
      bundleAnswer(ctx, {
        issues: [{ clientId: 'myportal-01', code: 'exception', diagnostics: 'Error querying myportal-01 endpoint' }],
      }),
  },
  pifuWlmdsError: {
    status: 207,
    summary: 'the waiting-list source timed out',
    build: (ctx) =>
      bundleAnswer(ctx, {
        issues: [
          { clientId: 'nhs-waiting-list-01', code: 'timeout', diagnostics: 'waitinglist-api request timed out' },
        ],
      }),
  },
  missingNhsNumber: {
    status: 400,
    summary: 'no patient:identifier',
    build: () => fhir(400, errorOutcome('exception', '"patient:identifier" is required')),
  },
  invalidNhsNumber: {
    status: 400,
    summary: 'patient:identifier is not a valid NHS number',
    build: () =>
      fhir(
        400,
        errorOutcome(
          'exception',
          '"patient:identifier" with value "https://fhir.nhs.uk/Id/nhs-number|9000000000" is not a valid NHS number',
        ),
      ),
  },
  invalidAuthToken: {
    status: 401,
    summary: 'missing or invalid bearer token',
    build: () => fhir(401, accessDenied('Invalid access token'), { 'WWW-Authenticate': 'Bearer' }),
  },
  under16: {
    status: 403,
    summary: 'patient under 16',
    build: () => fhir(403, errorOutcome('forbidden', 'UNDER_16_DENIED')),
  },
  rateLimit: {
    status: 429,
    summary: 'above 60 TPS (plain JSON, as the API platform answers)',
    build: (ctx) => ({
      status: 429,
      headers: { 'Retry-After': '1' },
      body: {
        message: 'Your application has exceeded its quota of 60 requests every 1 second(s) and is being rate limited.',
        scope: 'application',
        policy: 'spike-arrest',
        limit: 60,
        interval: 1,
        timeunit: 'second',
        ratelimiting_expiry_time_ms: ctx.now.getTime() + 1000,
        message_id: ctx.correlationId,
      },
    }),
  },
  internalError: {
    status: 500,
    summary: 'uncaught internal error',
    build: () => fhir(500, errorOutcome('exception', 'An internal server error occurred')),
  },
  maintenance: {
    status: 503,
    summary: 'maintenance window (consumer:WF-NFR-06)',
    build: () => fhir(503, maintenanceOutcome(), { 'Retry-After': '3600' }),
  },
  gatewayTimeout: {
    status: 504,
    summary: 'no answer within 10 s (consumer:WF-NFR-02)',
    build: () => fhir(504, gatewayTimeoutOutcome(10_000)),
  },
};

/** `Prefer: code=N` answers this example. */
export const EXAMPLE_FOR_CODE: Record<number, string> = {
  200: 'emptyBundle',
  207: 'upstreamTimeout',
  400: 'invalidNhsNumber',
  401: 'invalidAuthToken',
  403: 'under16',
  429: 'rateLimit',
  500: 'internalError',
  503: 'maintenance',
  504: 'gatewayTimeout',
};

export interface ScenarioDef {
  summary: string;
  failures: Partial<Record<SourceName, SourceFailure>>;
}

/** Named scenarios: the real answer for the patient, with an upstream failing as the spec's examples show. */
export const CONSUMER_SCENARIOS: Record<string, ScenarioDef> = {
  'waiting-list-timeout': {
    summary: 'the waiting-list source times out (example pifuWlmdsError): 207',
    failures: { 'waiting-list': 'timeout' },
  },
  'waiting-list-error': { summary: 'the waiting-list source answers 500: 207', failures: { 'waiting-list': 'error' } },
  'referrals-timeout': { summary: 'e-RS times out: 207', failures: { referrals: 'timeout' } },
  'referrals-error': { summary: 'e-RS answers 500: 207', failures: { referrals: 'error' } },
};

export type Steering =
  | { kind: 'none' }
  | { kind: 'example'; name: string; status: number }
  | { kind: 'scenario'; name: string; failures: ScenarioDef['failures'] };

export type SteeringParse = { ok: true; steering: Steering } | { ok: false; message: string };

const list = (names: Iterable<string | number>): string => [...names].join(', ');

/**
 * Reads the `Prefer` header(s). At most one of code, example and scenario; `code` and `example`
 * together only when the example answers that code (Prism's rule).
 */
export function parsePrefer(header: string | string[] | undefined): SteeringParse {
  if (header === undefined) return { ok: true, steering: { kind: 'none' } };
  const prefs = new Map<string, string>();
  for (const part of (Array.isArray(header) ? header : [header]).join(',').split(/[,;]/)) {
    const m = /^\s*([A-Za-z-]+)\s*(?:=\s*"?([^"]*?)"?)?\s*$/.exec(part);
    if (!m || !m[1]) continue;
    const key = m[1].toLowerCase();
    if (!['code', 'example', 'scenario'].includes(key)) continue;
    const value = (m[2] ?? '').trim();
    if (prefs.has(key)) return { ok: false, message: `Prefer: give ${key} once, not twice` };
    prefs.set(key, value);
  }
  const code = prefs.get('code');
  const example = prefs.get('example');
  const scenario = prefs.get('scenario');
  if (scenario !== undefined && (code !== undefined || example !== undefined))
    return { ok: false, message: 'Prefer: scenario cannot be combined with code or example' };
  if (scenario !== undefined) {
    const def = CONSUMER_SCENARIOS[scenario];
    if (!Object.prototype.hasOwnProperty.call(CONSUMER_SCENARIOS, scenario) || !def)
      return {
        ok: false,
        message: `Prefer: scenario=${scenario} names no scenario; known scenarios: ${list(Object.keys(CONSUMER_SCENARIOS))}`,
      };
    return { ok: true, steering: { kind: 'scenario', name: scenario, failures: def.failures } };
  }
  let status: number | undefined;
  if (code !== undefined) {
    status = /^[1-5][0-9]{2}$/.test(code) ? Number(code) : Number.NaN;
    if (!Number.isInteger(status) || EXAMPLE_FOR_CODE[status] === undefined)
      return {
        ok: false,
        message: `Prefer: code=${code} is not a status the consumer API answers; known codes: ${list(Object.keys(EXAMPLE_FOR_CODE))}`,
      };
  }
  if (example !== undefined) {
    const def = Object.prototype.hasOwnProperty.call(CONSUMER_EXAMPLES, example)
      ? CONSUMER_EXAMPLES[example]
      : undefined;
    if (!def)
      return {
        ok: false,
        message: `Prefer: example=${example} names no example; known examples: ${list(Object.keys(CONSUMER_EXAMPLES))}`,
      };
    if (status !== undefined && def.status !== status)
      return { ok: false, message: `Prefer: example=${example} answers ${def.status}, not code=${status}` };
    return { ok: true, steering: { kind: 'example', name: example, status: def.status } };
  }
  if (status !== undefined) {
    const name = EXAMPLE_FOR_CODE[status]!;
    return { ok: true, steering: { kind: 'example', name, status } };
  }
  return { ok: true, steering: { kind: 'none' } };
}

export function exampleAnswer(name: string, ctx: ExampleContext): SteeredAnswer {
  const def = CONSUMER_EXAMPLES[name];
  if (!def) throw new RangeError(`no consumer example ${name}`);
  return def.build(ctx);
}

/** What `GET /_harness/steering` lists. */
export function steeringCatalogue(): {
  codes: Record<string, string>;
  examples: Array<{ name: string; status: number; summary: string }>;
  scenarios: Array<{ name: string; summary: string }>;
} {
  return {
    codes: Object.fromEntries(Object.entries(EXAMPLE_FOR_CODE).map(([c, n]) => [c, n])),
    examples: Object.entries(CONSUMER_EXAMPLES).map(([name, d]) => ({ name, status: d.status, summary: d.summary })),
    scenarios: Object.entries(CONSUMER_SCENARIOS).map(([name, d]) => ({ name, summary: d.summary })),
  };
}
