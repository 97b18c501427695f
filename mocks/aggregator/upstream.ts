/**
 * How the aggregator talks to a supplier's Get Appointments / DocumentReference / Task API, the same
 * way for scheduled pulls and for consumer fan-out: an OAuth bearer (client credentials against the
 * supplier's token URL, cached until it expires, or a static token), the patient's NHS login ID
 * token, an X-Correlation-ID, and one deadline for the whole exchange (the producer standard's 9 s).
 */
import { randomUUID } from 'node:crypto';
import type { SupplierEndpoint } from '../../core/config';
import type { SupplierAccess } from '../../core/access';
import { CORRELATION_HEADER, fetchWithTimeout, TimeoutError, UnreachableError } from '../../core/http';
import type { Bundle, ProducerResourceType } from '../../core/fhir';
import { FHIR_JSON } from '../../core/fhir';
import { patientIdentifierParam } from '../../core/nhs-number';
import type { SchemaDiagnostic } from '../../core/schema';
import { type Clock, systemClock } from '../../core/clock';
import { DEFAULT_PATHS } from '../../core/resource-types';
import { PRODUCER_DEADLINE_MS } from '../../core/deadline';

/** The producer standard's deadline (producer:WF-NFR-02), from its one home in core/deadline.ts. */
export const PRODUCER_TIMEOUT_MS = PRODUCER_DEADLINE_MS;

/** Validates a supplier's 200 body for one resource type (contracts/validate.ts validateProducerBundle). */
export type ProducerBundleValidator = (
  type: ProducerResourceType,
  body: unknown,
) => { valid: boolean; diagnostics: SchemaDiagnostic[]; read?: unknown };

export type UpstreamOutcome =
  | { kind: 'ok'; status: number; latencyMs: number; bundle: Bundle; text: string }
  | {
      kind: 'invalid';
      status: number;
      latencyMs: number;
      text: string;
      body?: unknown;
      diagnostics: SchemaDiagnostic[];
    }
  | { kind: 'http-error'; status: number; latencyMs: number; text: string; body?: unknown }
  | { kind: 'timeout'; latencyMs: number; timeoutMs: number }
  | { kind: 'error'; latencyMs: number; message: string };

export type UpstreamKind = UpstreamOutcome['kind'];

export class TokenFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFetchError';
  }
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Refresh this long before the supplier's token expires, so no pull carries one that dies in flight. */
const EXPIRY_MARGIN_MS = 30_000;
const DEFAULT_TOKEN_LIFETIME_S = 300;

/**
 * Access tokens per supplier client, cached until (just before) expiry. Concurrent requests for the
 * same client share one token request, so a burst of pulls makes one call to the token URL.
 */
export class BearerTokenCache {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  /** How many token requests were made (tests assert caching with it). */
  requests = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  private key(auth: SupplierAccess & { type: 'client_credentials' }): string {
    return `${auth.tokenUrl}\u0000${auth.clientId}\u0000${auth.clientSecret}`;
  }

  async bearer(auth: SupplierAccess, timeoutMs = PRODUCER_TIMEOUT_MS): Promise<string> {
    if (auth.type === 'static') return auth.token;
    const key = this.key(auth);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.clock.now().getTime()) return hit.token;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchToken(auth, timeoutMs).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Forget a client's token (after the supplier answered 401 to it). */
  invalidate(auth: SupplierAccess): void {
    if (auth.type === 'client_credentials') this.cache.delete(this.key(auth));
  }

  private async fetchToken(auth: SupplierAccess & { type: 'client_credentials' }, timeoutMs: number): Promise<string> {
    this.requests += 1;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((auth.method ?? 'client_secret_basic') === 'client_secret_basic') {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(auth.clientId)}:${enc(auth.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', auth.clientId);
      form.set('client_secret', auth.clientSecret);
    }
    let res;
    try {
      res = await fetchWithTimeout<{ access_token?: unknown; expires_in?: unknown }>(auth.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        timeoutMs,
      });
    } catch (e) {
      if (e instanceof TimeoutError) throw e;
      throw new TokenFetchError(`token request to ${auth.tokenUrl} failed: ${(e as Error).message}`);
    }
    if (res.status !== 200) throw new TokenFetchError(`token request to ${auth.tokenUrl} answered ${res.status}`);
    const token = res.json?.access_token;
    if (typeof token !== 'string' || token === '')
      throw new TokenFetchError(`token response from ${auth.tokenUrl} has no access_token`);
    // The API platform sends expires_in as a string; accept both.
    const lifetime = Number(res.json?.expires_in ?? DEFAULT_TOKEN_LIFETIME_S);
    const seconds = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : DEFAULT_TOKEN_LIFETIME_S;
    const ttl = Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, seconds * 500);
    this.cache.set(this.key(auth), { token, expiresAt: this.clock.now().getTime() + ttl });
    return token;
  }
}

export interface UpstreamRequest {
  endpoint: SupplierEndpoint;
  resourceType: ProducerResourceType;
  nhsNumber: string;
  idToken: string;
  correlationId: string;
  timeoutMs?: number;
}

export function resourceUrl(endpoint: SupplierEndpoint, resourceType: ProducerResourceType, nhsNumber: string): string {
  const base = endpoint.url.replace(/\/+$/, '');
  const path = endpoint.path ?? DEFAULT_PATHS[resourceType];
  const query = new URLSearchParams({ 'patient:identifier': patientIdentifierParam(nhsNumber) });
  return `${base}${path}?${query.toString()}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * One call to a supplier, classified. Never throws: every failure is an outcome, because the consumer
 * API must turn each into an OperationOutcome issue and the scheduler must record each.
 */
export async function callSupplier(
  req: UpstreamRequest,
  tokens: BearerTokenCache,
  validate: ProducerBundleValidator,
): Promise<UpstreamOutcome> {
  const timeoutMs = req.timeoutMs ?? PRODUCER_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const bearer = await tokens.bearer(req.endpoint.auth, timeoutMs);
    const remaining = Math.max(1, Math.round(timeoutMs - elapsed()));
    const res = await fetchWithTimeout(resourceUrl(req.endpoint, req.resourceType, req.nhsNumber), {
      method: 'GET',
      headers: {
        authorization: `Bearer ${bearer}`,
        'NHSD-ID-Token': req.idToken,
        [CORRELATION_HEADER]: req.correlationId,
        'X-Request-ID': randomUUID(),
        accept: FHIR_JSON,
      },
      timeoutMs: remaining,
    });
    const latencyMs = elapsed();
    const body = res.json ?? (res.text ? parseJson(res.text) : undefined);
    if (res.status !== 200) {
      if (res.status === 401) tokens.invalidate(req.endpoint.auth);
      return { kind: 'http-error', status: res.status, latencyMs, text: res.text, body };
    }
    if (res.json === undefined) {
      const ct = res.headers.get('content-type') ?? '(none)';
      const why = body === undefined ? 'the body is not JSON' : `the content type is ${ct}, not ${FHIR_JSON}`;
      return {
        kind: 'invalid',
        status: res.status,
        latencyMs,
        text: res.text,
        body,
        diagnostics: [{ pointer: '', rule: 'content-type', message: why, schemaPath: '' }],
      };
    }
    const verdict = validate(req.resourceType, res.json);
    if (!verdict.valid)
      return {
        kind: 'invalid',
        status: res.status,
        latencyMs,
        text: res.text,
        body: res.json,
        diagnostics: verdict.diagnostics,
      };
    // A body in another reading of the spec (docs/spec-errata.md) is used as the validator read it.
    return { kind: 'ok', status: res.status, latencyMs, bundle: (verdict.read ?? res.json) as Bundle, text: res.text };
  } catch (e) {
    if (e instanceof TimeoutError) return { kind: 'timeout', latencyMs: elapsed(), timeoutMs };
    if (e instanceof UnreachableError || e instanceof TokenFetchError)
      return { kind: 'error', latencyMs: elapsed(), message: e.message };
    return { kind: 'error', latencyMs: elapsed(), message: (e as Error)?.message ?? String(e) };
  }
}
