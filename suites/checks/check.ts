/**
 * What a check is and what it returns. A check is a small named unit that cites requirements and
 * judges exchanges made through an injected transport; it never opens a socket itself, so tests
 * feed it crafted responses and assert the exact verdict.
 */
import type { Clock } from '../../core/clock';
import type { ProducerResourceType } from '../../core/fhir';
import type { PackIndex, PackPatient } from '../../fixtures/pack';
import type { RequirementLevel } from './requirements';

export type Family = 'GA' | 'DR' | 'TK' | 'RS';

export const FAMILY_NAMES: Record<Family, string> = {
  GA: 'Appointments (Get Appointments API)',
  DR: 'Documents (DocumentReference API)',
  TK: 'Questionnaires (Task API)',
  RS: 'Record Service client (uploads seen by the mock Record Service)',
};

/** `schema` = JSON Schema validation of payloads; `rules` = behaviour traced to requirements. */
export type SuiteName = 'schema' | 'rules';
export const SUITES: readonly SuiteName[] = ['schema', 'rules'];

/** What a check exercises: one of the supplier's producer endpoints, or its Record Service uploads. */
export type Endpoint = ProducerResourceType | 'RecordService';

// ---------------------------------------------------------------------------------------------
// HTTP, as data

/** Which credential a request carried, so evidence and curl can describe it without showing it. */
export type AccessCredential = 'valid' | 'none' | 'invalid';
export type IdTokenKind =
  | 'valid'
  | 'forged'
  | 'expired'
  | 'other-issuer'
  | 'other-patient'
  | 'other-birthdate'
  | 'below-p9'
  /** Issued to another client: `aud` does not name the NHS App. */
  | 'other-audience'
  /** Several audiences, the NHS App among them, but `azp` names another client. */
  | 'other-azp'
  /** `alg: none`, no signature. */
  | 'unsigned'
  | 'none';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Names the probe ("happy", "missing-identifier", ...): evidence shows it, test transports route on it. */
  label: string;
  access: AccessCredential;
  idToken: IdTokenKind;
  /** The pack patient the request is about (for curl placeholders and explanations). */
  patient?: PackPatient;
  /** Whether the transport may pace this request to stay under the supplier's rate limit. */
  unpaced?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  text: string;
  json?: unknown;
  latencyMs: number;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export interface Exchange {
  request: HttpRequest;
  response: HttpResponse;
}

// ---------------------------------------------------------------------------------------------
// Verdicts

/** One thing wrong, typed as Schemathesis does: what was received, what was expected, where, how to fix. */
export interface Finding {
  title: string;
  received?: string;
  expected?: string;
  /** JSON pointer into the response body, when the finding is about a value in it. */
  pointer?: string;
  hint: string;
  /**
   * Set on a warning: the docs/spec-errata.md id (`E-08`) of the contradiction in the spec whose
   * readings the payload chose between. The `hint` then says what to send to be safe under every reading.
   */
  erratum?: string;
}

/**
 * `warn` passes: the supplier did something the spec supports under one of its own contradicting
 * readings, and the warnings say which erratum and what would be safe under all of them.
 */
export type CheckVerdict =
  | { outcome: 'pass'; exchanges: Exchange[]; note?: string }
  | { outcome: 'warn'; exchanges: Exchange[]; warnings: Finding[]; note?: string }
  | { outcome: 'fail'; exchanges: Exchange[]; findings: Finding[] }
  | { outcome: 'skip'; exchanges: Exchange[]; reason: string }
  | { outcome: 'error'; exchanges: Exchange[]; message: string };

export type Outcome = CheckVerdict['outcome'];

export const pass = (exchanges: Exchange[], note?: string): CheckVerdict => ({
  outcome: 'pass',
  exchanges,
  ...(note ? { note } : {}),
});
export const warn = (exchanges: Exchange[], warnings: Finding[], note?: string): CheckVerdict => ({
  outcome: 'warn',
  exchanges,
  warnings,
  ...(note ? { note } : {}),
});
export const fail = (exchanges: Exchange[], findings: Finding[]): CheckVerdict => ({
  outcome: 'fail',
  exchanges,
  findings,
});
export const skip = (reason: string, exchanges: Exchange[] = []): CheckVerdict => ({
  outcome: 'skip',
  exchanges,
  reason,
});
export const error = (message: string, exchanges: Exchange[] = []): CheckVerdict => ({
  outcome: 'error',
  exchanges,
  message,
});

/**
 * fail when there are findings, else warn when there are warnings, else pass: the usual ending of a
 * check that collects findings.
 */
export function judge(
  exchanges: Exchange[],
  findings: Finding[],
  note?: string,
  warnings: Finding[] = [],
): CheckVerdict {
  if (findings.length) return fail(exchanges, findings);
  return warnings.length ? warn(exchanges, warnings, note) : pass(exchanges, note);
}

/** The outcomes that let a run pass. */
export function passes(outcome: Outcome): boolean {
  return outcome === 'pass' || outcome === 'warn';
}

// ---------------------------------------------------------------------------------------------
// The context a check runs in

export interface IdTokenRequest {
  kind: Exclude<IdTokenKind, 'none'>;
  patient: PackPatient;
  /** For `other-patient`: whose token to present. */
  other?: PackPatient;
}

/** Everything secret a check may need; implementations mint and cache, checks never see keys. */
export interface Credentials {
  accessToken(): Promise<string>;
  /** A value that is certainly not a valid bearer for this supplier. */
  invalidAccessToken(): string;
  /** An ID token of the requested kind, or a reason it cannot be made here (the check skips with it). */
  idToken(req: IdTokenRequest): Promise<{ token: string } | { unavailable: string }>;
}

/** The patients the checks need, chosen by inspecting the pack (never hard-coded NHS numbers). */
export interface Roster {
  withData: Partial<Record<ProducerResourceType, PackPatient>>;
  /** An eligible patient with at least one cancelled appointment. */
  withCancelledAppointment?: PackPatient;
  /** An eligible patient with nothing for any endpoint. */
  withNothing?: PackPatient;
  under16?: PackPatient;
  /** Another eligible patient, to borrow an ID token from. */
  other(patient: PackPatient): PackPatient | undefined;
}

export interface PlatformAccess {
  url: string;
  clientId: string;
  /** Judge uploads made since this instant (ISO). */
  since?: string;
  /** The platform's admin token, when it listens beyond loopback. */
  adminToken?: string;
}

export interface CheckContext {
  transport: Transport;
  /** Absolute URL of each endpoint the supplier offers. */
  endpoints: Partial<Record<ProducerResourceType, string>>;
  credentials: Credentials;
  pack: PackIndex;
  roster: Roster;
  clock: Clock;
  platform?: PlatformAccess;
  includeThrottle: boolean;
  /**
   * The supplier declares it reports MIv2 events to the Wayfinder Reporting Service, so its deep
   * links must carry extSystemName and trackingId (= the request's X-Correlation-ID).
   */
  reportsMiv2Events?: boolean;
  /** Shared per-run cache so checks that judge the same exchange make the request once. */
  memo: Map<string, Promise<unknown>>;
  /**
   * Every exchange the run's transport made, in order (see `observing`): checks that judge the run as
   * a whole (the WF-NFR-02 deadline) read it; the others ignore it.
   */
  observed?: readonly Exchange[];
}

/** Wraps a transport so every exchange it makes is appended to `log`: passive observation, no extra requests. */
export function observing(transport: Transport, log: Exchange[]): Transport {
  return async (request) => {
    const response = await transport(request);
    log.push({ request, response });
    return response;
  };
}

export interface Check {
  id: string;
  title: string;
  family: Family;
  /** Requirement ids (requirements.ts) this check verifies. */
  requirements: string[];
  level: RequirementLevel;
  endpoint: Endpoint;
  suite: SuiteName;
  /** The rule being verified, quoted or closely paraphrased from the specification. */
  description: string;
  /** What a supplier should change when this check fails. */
  fix: string;
  /** `throttle` checks send a burst and run only with --include-throttle. */
  optIn?: 'throttle';
  run(ctx: CheckContext): Promise<CheckVerdict>;
}

/** Memoises an async computation for the run; failures are not cached. */
export function memo<T>(ctx: Pick<CheckContext, 'memo'>, key: string, make: () => Promise<T>): Promise<T> {
  let p = ctx.memo.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    ctx.memo.set(key, p);
    p.catch(() => ctx.memo.delete(key));
  }
  return p;
}
