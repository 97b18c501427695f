/**
 * The supplier's Record Service client, done as WF-NFR-RS-01..09 ask: send only eligible patients
 * (16 or over, not sensitive, not excluded by the trust), in batches within the profile's limit,
 * record every 200 durably before moving on, retry what failed (5xx, 429, network errors, timeouts)
 * with exponential back-off and full jitter, resume after a crash without resending what was
 * acknowledged, and report the totals a reconciliation asks for.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, epochSeconds, systemClock } from '../../core/clock';
import type { Profile } from '../../core/config';
import { fetchWithTimeout, TimeoutError, UnreachableError } from '../../core/http';
import type { SigningKey } from '../../core/keys';
import { type Logger, silentLogger } from '../../core/logger';
import { isValidNhsNumber } from '../../core/nhs-number';
import { redactText } from '../../core/redact';
import { signJwt } from '../../core/tokens';
import type { FixturePack, IneligibleReason } from '../../fixtures/pack';
import { type UploadBehaviour, uploadBehaviour } from './behaviour';
import { type FaultName, isUploadFault } from './faults';
import { openUploadJournal, type UploadJournal } from './journal';

export type UploadAuth =
  | { type: 'api-key'; apiKey: string }
  /** API-platform signed-JWT client credentials: the key is the private JWK registered with the platform. */
  | { type: 'signed-jwt'; tokenUrl: string; key: SigningKey };

export interface RetryPolicy {
  /** Attempts per batch, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 30_000 };
/** The Record Service answers 504 itself after 30 s; wait a little longer than that. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 35_000;
/** Client assertions live at most 5 minutes; a little less leaves room for clock skew. */
const ASSERTION_LIFETIME_S = 240;

export interface UploadProgress {
  batch: number;
  batches: number;
  attempt: number;
  outcome: 'acknowledged' | 'retrying' | 'failed';
  status?: number;
  /** NHS numbers acknowledged in this run so far. */
  acknowledged: number;
  toSend: number;
  retries: number;
  /** Wait before the next attempt, when retrying. */
  delayMs?: number;
}

export interface UploadOptions {
  /** The Record Service endpoint, e.g. `http://127.0.0.1:7070/records`; a bare origin gets `/records`. */
  recordsUrl: string;
  clientId: string;
  auth: UploadAuth;
  pack: FixturePack;
  /** An open journal, or a file to open (and close again); `:memory:` in tests. */
  journal: UploadJournal | string;
  profile?: Profile;
  /** An `upload` fault from faults.ts. */
  fault?: FaultName;
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Jitter source, injectable so tests are repeatable. */
  random?: () => number;
  /** How to wait between attempts; injectable so tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  requestTimeoutMs?: number;
  onProgress?: (p: UploadProgress) => void;
  /** Stops the run after the batch in flight (what was acknowledged stays acknowledged). */
  signal?: AbortSignal;
}

export type SkipReason = IneligibleReason | 'invalid-nhs-number' | 'duplicate';

export type UploadOutcome = 'complete' | 'incomplete' | 'unreachable' | 'unauthorised' | 'aborted';

export interface FailedBatch {
  batchId: string;
  /** Index of the batch's first NHS number in this run's list. */
  firstIndex: number;
  size: number;
  status?: number;
  detail: string;
}

export interface UploadReport {
  outcome: UploadOutcome;
  message: string;
  clientId: string;
  recordsUrl: string;
  profile: Profile;
  batchLimit: number;
  fault?: FaultName;
  /** Patients in the pack. */
  patients: number;
  /** Distinct NHS numbers the pack allows to be sent today. */
  eligible: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Eligible numbers the journal already had as acknowledged, so not sent again. */
  alreadyAcknowledged: number;
  toSend: number;
  /** Distinct NHS numbers put on the wire in this run. */
  sent: number;
  acknowledged: number;
  /** Numbers still not acknowledged; a later run replays them. */
  failed: number;
  failedBatches: FailedBatch[];
  batches: number;
  requests: number;
  retries: number;
  /** Distinct NHS numbers ever acknowledged for this clientId (reconciliation, WF-NFR-RS-06/09). */
  acknowledgedTotal: number;
  /** Warnings the Record Service attached to its answers (e.g. X-PCA-Harness-Warning). */
  warnings: string[];
  journal: string;
}

export class UploadAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadAuthError';
  }
}

/** `http://host:7070` -> `http://host:7070/records`; trailing slashes dropped (INT answers `/records/` with 200 and registers nothing). */
export function normaliseRecordsUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(
      `records URL "${raw}" is not a URL; give the Record Service endpoint, e.g. http://127.0.0.1:7070/records`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`records URL must be http or https, got ${u.protocol}`);
  const p = u.pathname.replace(/\/+$/, '');
  u.pathname = p === '' ? '/records' : p;
  u.username = '';
  u.password = '';
  return u.toString();
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], but never sooner than the server asked. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, 60_000));
}

function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim()) * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

type AttemptResult =
  | { ok: true; warning?: string }
  | {
      ok: false;
      retryable: boolean;
      fatal?: boolean;
      status?: number;
      detail: string;
      retryAfterMs?: number;
      reachedServer: boolean;
    };

/** Access tokens from the API platform's token endpoint, cached until shortly before they expire. */
class TokenSource {
  private cached?: { token: string; expiresAt: number };

  constructor(
    private readonly auth: Extract<UploadAuth, { type: 'signed-jwt' }>,
    private readonly clientId: string,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  forget(): void {
    this.cached = undefined;
  }

  /** `fresh` is true when the token was fetched by this call rather than taken from the cache. */
  async token(): Promise<{ token: string; fresh: boolean }> {
    const now = this.clock.now().getTime();
    if (this.cached && this.cached.expiresAt - 30_000 > now) return { token: this.cached.token, fresh: false };
    const iat = epochSeconds(this.clock);
    const assertion = await signJwt(this.auth.key, {
      claims: {
        iss: this.clientId,
        sub: this.clientId,
        aud: this.auth.tokenUrl,
        jti: randomUUID(),
        iat,
        exp: iat + ASSERTION_LIFETIME_S,
      },
    });
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    const res = await fetchWithTimeout<{
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
      error_description?: unknown;
    }>(this.auth.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      timeoutMs: this.timeoutMs,
    });
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      const e = res.json;
      throw new UploadAuthError(
        `the token endpoint ${this.auth.tokenUrl} refused the client assertion (${res.status}${e?.error ? ` ${String(e.error)}` : ''}${e?.error_description ? `: ${String(e.error_description)}` : ''})`,
      );
    }
    if (res.status !== 200 || typeof res.json?.access_token !== 'string') {
      throw new TokenEndpointTransientError(
        res.status,
        `the token endpoint answered ${res.status}${res.status === 200 ? ' without an access_token' : ''}`,
      );
    }
    // The API platform sends expires_in as a string ("599").
    const expiresIn = Number(res.json.expires_in ?? 300);
    this.cached = {
      token: res.json.access_token,
      expiresAt: now + (Number.isFinite(expiresIn) ? expiresIn : 300) * 1000,
    };
    return { token: this.cached.token, fresh: true };
  }
}

class TokenEndpointTransientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function describeRejection(status: number, json: unknown, text: string): string {
  const j = json as { code?: unknown; data?: unknown } | undefined;
  const raw =
    j && typeof j.code === 'string'
      ? `${j.code}${typeof j.data === 'string' ? `: ${j.data}` : ''}`
      : text.slice(0, 300);
  // The Record Service may quote NHS numbers back; reports and logs keep them masked.
  return `${status} ${redactText(raw)}`.trim();
}

export interface RecordsBatch {
  /** The exact URL to post to (normaliseRecordsUrl gives the right one). */
  url: string;
  /** The whole Authorization header value, e.g. `Bearer <API key or access token>`. */
  authorization: string;
  clientId: string;
  nhsNumbers: string[];
  /** Stays the same across retries of one batch, as the platform's de-duplication expects. */
  requestId?: string;
  timeoutMs?: number;
}

export type BatchResult =
  /** WF-NFR-RS-01/03: a 200 is the acknowledgement, whatever else the body says. */
  | { kind: 'acknowledged'; status: 200; warning?: string }
  /** Answered with anything else; 429 and 5xx are worth retrying, other refusals are not. */
  | { kind: 'refused'; status: number; retryable: boolean; detail: string; retryAfterMs?: number }
  /** No answer: connection failed or timed out (worth retrying). */
  | { kind: 'not-answered'; detail: string };

/** One `POST /records` of one batch, classified as the upload client acts on it (NHS numbers in `detail` masked). */
export async function sendRecordsBatch(batch: RecordsBatch): Promise<BatchResult> {
  const timeoutMs = batch.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let res;
  try {
    res = await fetchWithTimeout(batch.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: batch.authorization,
        'X-Request-ID': batch.requestId ?? randomUUID(),
      },
      body: JSON.stringify({ clientId: batch.clientId, nhsNumbers: batch.nhsNumbers }),
      timeoutMs,
    });
  } catch (e) {
    if (e instanceof TimeoutError) return { kind: 'not-answered', detail: `no answer within ${timeoutMs} ms` };
    if (e instanceof UnreachableError) return { kind: 'not-answered', detail: e.message };
    throw e;
  }
  const warning = res.headers.get('x-pca-harness-warning') ?? undefined;
  if (res.status === 200) return { kind: 'acknowledged', status: 200, ...(warning ? { warning } : {}) };
  const detail = describeRejection(res.status, res.json, res.text);
  if (res.status === 429 || res.status >= 500)
    return {
      kind: 'refused',
      status: res.status,
      retryable: true,
      detail,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
    };
  return { kind: 'refused', status: res.status, retryable: false, detail };
}

export async function uploadPack(opts: UploadOptions): Promise<UploadReport> {
  if (opts.fault && !isUploadFault(opts.fault))
    throw new Error(`fault "${opts.fault}" affects the API, not the upload client`);
  const behaviour: UploadBehaviour = uploadBehaviour(opts.fault);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? silentLogger();
  const profile = opts.profile ?? 'int';
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const maxAttempts = behaviour.maxAttempts(policy.maxAttempts);
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const baseUrl = normaliseRecordsUrl(opts.recordsUrl);
  const postUrl = behaviour.recordsUrl(baseUrl);
  const batchLimit = behaviour.batchLimit(profile);
  const ownsJournal = typeof opts.journal === 'string';
  const journal = typeof opts.journal === 'string' ? openUploadJournal(opts.journal) : opts.journal;
  const tokens =
    opts.auth.type === 'signed-jwt' ? new TokenSource(opts.auth, opts.clientId, clock, timeoutMs) : undefined;

  try {
    // Who may be sent today: the pack decides, per patient, on the day of the run.
    const on = clock.now();
    const skipped: Partial<Record<SkipReason, number>> = {};
    const skip = (r: SkipReason) => {
      skipped[r] = (skipped[r] ?? 0) + 1;
    };
    const eligible: string[] = [];
    const seen = new Set<string>();
    for (const p of opts.pack.patients) {
      const excluded = behaviour.exclusion(p, on);
      if (excluded) skip(excluded);
      else if (!isValidNhsNumber(p.nhsNumber)) skip('invalid-nhs-number');
      else if (seen.has(p.nhsNumber)) skip('duplicate');
      else {
        seen.add(p.nhsNumber);
        eligible.push(p.nhsNumber);
      }
    }
    const done = behaviour.honourJournal ? journal.acknowledged(opts.clientId) : new Set<string>();
    const toSend = eligible.filter((n) => !done.has(n));
    const batches: string[][] = [];
    for (let i = 0; i < toSend.length; i += batchLimit) batches.push(toSend.slice(i, i + batchLimit));

    const runId = randomUUID();
    const sent = new Set<string>();
    const failedBatches: FailedBatch[] = [];
    const warnings = new Set<string>();
    let acknowledged = 0;
    let requests = 0;
    let retries = 0;
    let reachedServer = false;
    let stop: { outcome: UploadOutcome; message: string } | undefined;

    const attemptBatch = async (numbers: string[], requestId: string): Promise<AttemptResult> => {
      let auth: string;
      let freshToken = false;
      try {
        if (tokens) {
          const t = await tokens.token();
          auth = `Bearer ${t.token}`;
          freshToken = t.fresh;
        } else {
          auth = `Bearer ${(opts.auth as { apiKey: string }).apiKey}`;
        }
      } catch (e) {
        if (e instanceof UploadAuthError)
          return { ok: false, retryable: false, fatal: true, detail: e.message, reachedServer: true };
        if (e instanceof TokenEndpointTransientError)
          return { ok: false, retryable: true, status: e.status, detail: e.message, reachedServer: true };
        if (e instanceof UnreachableError || e instanceof TimeoutError)
          return { ok: false, retryable: true, detail: e.message, reachedServer: false };
        throw e;
      }
      requests += 1;
      for (const n of numbers) sent.add(n);
      const res = await sendRecordsBatch({
        url: postUrl,
        authorization: auth,
        clientId: opts.clientId,
        nhsNumbers: numbers,
        requestId,
        timeoutMs,
      });
      if (res.kind === 'not-answered') return { ok: false, retryable: true, detail: res.detail, reachedServer: false };
      if (res.kind === 'acknowledged') return { ok: true, ...(res.warning ? { warning: res.warning } : {}) };
      const { status, detail } = res;
      if (res.retryable)
        return { ok: false, retryable: true, status, detail, retryAfterMs: res.retryAfterMs, reachedServer: true };
      if (status === 401 && tokens && !freshToken) {
        // The access token may have been revoked or expired early: one fresh token, then judge again.
        tokens.forget();
        return { ok: false, retryable: true, status: 401, detail, reachedServer: true, retryAfterMs: 0 };
      }
      if (status === 401 || status === 403)
        return { ok: false, retryable: false, fatal: true, status, detail, reachedServer: true };
      return { ok: false, retryable: false, status, detail, reachedServer: true };
    };

    let offset = 0;
    for (let b = 0; b < batches.length && !stop; b++) {
      const numbers = batches[b]!;
      const firstIndex = offset;
      offset += numbers.length;
      const batchId = `${runId}:${b + 1}`;
      const requestId = randomUUID();
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (opts.signal?.aborted) {
          stop = { outcome: 'aborted', message: 'stopped on request; run again to send the rest' };
          break;
        }
        const result = await attemptBatch(numbers, requestId);
        const at = clock.now();
        if (result.ok) {
          reachedServer = true;
          journal.recordAcknowledged(opts.clientId, batchId, numbers, at);
          journal.recordAttempt({
            clientId: opts.clientId,
            batchId,
            attempt,
            size: numbers.length,
            firstIndex,
            outcome: 'acknowledged',
            status: 200,
            at,
          });
          acknowledged += numbers.length;
          if (result.warning) warnings.add(result.warning);
          log.info({ batchId, size: numbers.length, attempt }, 'batch acknowledged');
          opts.onProgress?.({
            batch: b + 1,
            batches: batches.length,
            attempt,
            outcome: 'acknowledged',
            status: 200,
            acknowledged,
            toSend: toSend.length,
            retries,
          });
          break;
        }
        reachedServer ||= result.reachedServer;
        const willRetry = result.retryable && !result.fatal && attempt < maxAttempts;
        journal.recordAttempt({
          clientId: opts.clientId,
          batchId,
          attempt,
          size: numbers.length,
          firstIndex,
          outcome: willRetry ? 'retrying' : 'failed',
          status: result.status,
          detail: result.detail,
          at,
        });
        // WF-NFR-RS-04: the failure event names the batch's first index, so its numbers can be found.
        log.warn(
          {
            batchId,
            firstIndex,
            size: numbers.length,
            attempt,
            status: result.status,
            detail: result.detail,
            willRetry,
          },
          'batch not acknowledged',
        );
        if (result.fatal) {
          stop = { outcome: 'unauthorised', message: `the Record Service credentials were refused: ${result.detail}` };
        }
        if (!willRetry) {
          failedBatches.push({
            batchId,
            firstIndex,
            size: numbers.length,
            ...(result.status ? { status: result.status } : {}),
            detail: result.detail,
          });
          opts.onProgress?.({
            batch: b + 1,
            batches: batches.length,
            attempt,
            outcome: 'failed',
            status: result.status,
            acknowledged,
            toSend: toSend.length,
            retries,
          });
          break;
        }
        retries += 1;
        const delayMs = backoffDelay(attempt, policy, random, result.retryAfterMs);
        opts.onProgress?.({
          batch: b + 1,
          batches: batches.length,
          attempt,
          outcome: 'retrying',
          status: result.status,
          acknowledged,
          toSend: toSend.length,
          retries,
          delayMs,
        });
        await sleep(delayMs, opts.signal);
      }
    }

    const failed = toSend.length - acknowledged;
    if (!stop && opts.signal?.aborted && failed > 0)
      stop = { outcome: 'aborted', message: 'stopped on request; run again to send the rest' };
    let outcome: UploadOutcome;
    let message: string;
    if (stop) ({ outcome, message } = stop);
    else if (failed === 0) {
      outcome = 'complete';
      message = `all ${eligible.length} eligible NHS numbers are acknowledged`;
    } else if (!reachedServer) {
      outcome = 'unreachable';
      message = `the Record Service at ${postUrl} could not be reached; ${failed} NHS numbers are waiting to be replayed`;
    } else {
      outcome = 'incomplete';
      message = `${failed} NHS numbers were not acknowledged; run again to replay them`;
    }
    return {
      outcome,
      message,
      clientId: opts.clientId,
      recordsUrl: postUrl,
      profile,
      batchLimit,
      ...(opts.fault ? { fault: opts.fault } : {}),
      patients: opts.pack.patients.length,
      eligible: eligible.length,
      skipped,
      alreadyAcknowledged: eligible.length - toSend.length,
      toSend: toSend.length,
      sent: sent.size,
      acknowledged,
      failed,
      failedBatches,
      batches: batches.length,
      requests,
      retries,
      acknowledgedTotal: journal.acknowledgedCount(opts.clientId),
      warnings: [...warnings],
      journal: journal.file,
    };
  } finally {
    if (ownsJournal) journal.close();
  }
}
