/**
 * What one request of a run is, for each API a profile can drive: a supplier endpoint (as the
 * PCA calls it), the aggregator's consumer API (as the NHS App calls it) or the Record Service
 * (as a supplier uploads). Each returns a runner Outcome; content checks are deferred to
 * `verify` so they are never timed as latency.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_CONSUMER_BEARER } from '../core/consumer-api';
import { CORRELATION_HEADER } from '../core/http';
import { FHIR_JSON, isOperationOutcome } from '../core/fhir';
import { patientIdentifierParam } from '../core/nhs-number';
import { maskNhsNumbersInText } from '../core/redact';
import type { PackPatient } from '../fixtures/pack';
import { validatePayload } from '../contracts/validate';
import { HARNESS_WARNING_HEADER } from '../mocks/oauth/app';
import {
  API_PATHS,
  EXPECTED_STATUS,
  mixPicker,
  pickWeighted,
  type LoadProfile,
  type MixedPatient,
  type SupplierResource,
} from './profile-data';
import type { HttpReply, LoadHttpClient } from './http-client';
import { TransportError } from './http-client';
import type { Outcome, RequestFn } from './runner/types';
import type { Verifier } from './verify';

/** A patient of the run's mix, with the ID token minted for it. */
export interface LoadPatient extends MixedPatient<PackPatient> {
  idToken?: string;
}

export interface RecordsPlan {
  clientId: string;
  batches: string[][];
  /** Distinct NHS numbers the Record Service acknowledged with 200 {"result":"success"}. */
  acknowledged: Set<string>;
  batchesAcknowledged: number;
  /** Answers that carried an X-PCA-Harness-Warning, and the first of them. */
  warnings: number;
  firstWarning?: string;
}

export interface RequesterOptions {
  profile: LoadProfile;
  /** Base URL; a path on it is a prefix for the endpoint paths (e.g. https://host/fhir/R4). */
  targetUrl: string;
  client: LoadHttpClient;
  bearer?: string;
  patients: LoadPatient[];
  /** Check content too (schema, pack expectation, correlation echo, Record Service warnings). */
  verify: boolean;
  verifier: Verifier;
  timeoutMs: number;
  records?: RecordsPlan;
}

function joinUrl(base: string, path: string, query?: string): URL {
  return new URL(`${base.replace(/\/+$/, '')}${path}${query ? `?${query}` : ''}`);
}

function header(reply: HttpReply, name: string): string | undefined {
  const v = reply.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function parseBody(reply: HttpReply): { ok: true; body: unknown } | { ok: false } {
  if (reply.body.trim() === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(reply.body) as unknown };
  } catch {
    return { ok: false };
  }
}

function correlationProblem(reply: HttpReply, sent: string): string[] {
  const echoed = header(reply, CORRELATION_HEADER);
  if (echoed === sent) return [];
  return [
    echoed === undefined
      ? `${CORRELATION_HEADER} was not echoed (HTTP ${reply.status})`
      : `${CORRELATION_HEADER} echoed a different value (HTTP ${reply.status})`,
  ];
}

async function send(
  o: RequesterOptions,
  req: Parameters<LoadHttpClient['send']>[0],
  tag: string,
  expected: number,
  check?: (r: HttpReply) => string[],
): Promise<Outcome> {
  let reply: HttpReply;
  try {
    reply = await o.client.send(req);
  } catch (e) {
    return { status: 0, tag, ok: false, error: e instanceof TransportError ? e.reason : (e as Error).message };
  }
  const ok = reply.status === expected || (o.profile.alsoAccept ?? []).includes(reply.status);
  // Only a 504's body matters to producer:WF-NFR-02 (core/deadline.ts), so only a 504 is parsed here.
  const parsed = reply.status === 504 ? parseBody(reply) : undefined;
  const operationOutcome = parsed?.ok === true && isOperationOutcome(parsed.body);
  return {
    status: reply.status,
    tag,
    ok,
    ...(operationOutcome ? { operationOutcome } : {}),
    ...(check ? { verify: () => check(reply) } : {}),
  };
}

function supplierRequester(o: RequesterOptions): RequestFn {
  const pick = mixPicker(o.patients, o.profile.mix);
  const resources = o.profile.mix.resources ?? { Appointment: 1 };
  return (i) => {
    const lp = pick(i);
    const resource: SupplierResource = pickWeighted(i, resources, 1) ?? 'Appointment';
    const correlation = randomUUID();
    const query = new URLSearchParams({
      'patient:identifier': patientIdentifierParam(lp.patient.nhsNumber),
    }).toString();
    const headers: Record<string, string> = {
      Accept: FHIR_JSON,
      'NHSD-ID-Token': lp.idToken ?? '',
      [CORRELATION_HEADER]: correlation,
    };
    if (o.bearer) headers.Authorization = `Bearer ${o.bearer}`;
    const expected = EXPECTED_STATUS[lp.kind];
    return send(
      o,
      {
        method: 'GET',
        url: joinUrl(o.targetUrl, API_PATHS.supplier[resource], query),
        headers,
        timeoutMs: o.timeoutMs,
      },
      resource,
      expected,
      o.verify
        ? (reply) => {
            const problems = correlationProblem(reply, correlation);
            if (reply.status === 200 && expected === 200) {
              const parsed = parseBody(reply);
              if (!parsed.ok) problems.push(`${resource}: the 200 body is not JSON`);
              else problems.push(...o.verifier(lp.patient, resource, reply.status, parsed.body));
            }
            return problems.map(maskNhsNumbersInText);
          }
        : undefined,
    );
  };
}

function aggregatorRequester(o: RequesterOptions): RequestFn {
  const pick = mixPicker(o.patients, o.profile.mix);
  return (i) => {
    const lp = pick(i);
    const correlation = randomUUID();
    const query = new URLSearchParams({
      'patient:identifier': patientIdentifierParam(lp.patient.nhsNumber),
    }).toString();
    const headers: Record<string, string> = {
      Accept: FHIR_JSON,
      'NHSD-ID-Token': lp.idToken ?? '',
      [CORRELATION_HEADER]: correlation,
    };
    // The consumer API sits behind the API platform: it always wants a bearer.
    headers.Authorization = `Bearer ${o.bearer ?? DEFAULT_CONSUMER_BEARER}`;
    const expected = EXPECTED_STATUS[lp.kind];
    return send(
      o,
      { method: 'GET', url: joinUrl(o.targetUrl, API_PATHS.aggregator, query), headers, timeoutMs: o.timeoutMs },
      'events',
      expected,
      o.verify
        ? (reply) => {
            const problems = correlationProblem(reply, correlation);
            if (reply.status === 200 && reply.body.trim() !== '') {
              const parsed = parseBody(reply);
              if (!parsed.ok) {
                problems.push('events: the 200 body is not JSON');
              } else {
                const v = validatePayload('aggregator-bundle', parsed.body);
                if (!v.valid)
                  problems.push(...v.diagnostics.map((d) => `events schema: ${d.pointer || '/'} ${d.message}`));
                const id = (parsed.body as { id?: unknown } | null)?.id;
                if (id !== undefined && id !== correlation)
                  problems.push(`events: Bundle.id is not the ${CORRELATION_HEADER} of the request`);
              }
            }
            return problems.map(maskNhsNumbersInText);
          }
        : undefined,
    );
  };
}

function recordsRequester(o: RequesterOptions): RequestFn {
  const plan = o.records;
  if (!plan || plan.batches.length === 0) throw new Error('a records run needs NHS numbers to send');
  const url = joinUrl(o.targetUrl, API_PATHS.records);
  return (i) => {
    const batch = plan.batches[i % plan.batches.length]!;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      [CORRELATION_HEADER]: randomUUID(),
    };
    if (o.bearer) headers.Authorization = `Bearer ${o.bearer}`;
    const body = JSON.stringify({ clientId: plan.clientId, nhsNumbers: batch });
    // The reconciliation count is kept whether or not --verify is on, after the response is timed.
    return send(o, { method: 'POST', url, headers, body, timeoutMs: o.timeoutMs }, 'records', 200, (reply) => {
      const problems: string[] = [];
      const parsed = reply.status === 200 ? parseBody(reply) : { ok: false as const };
      const success = parsed.ok && (parsed.body as { result?: unknown } | undefined)?.result === 'success';
      if (success) {
        plan.batchesAcknowledged += 1;
        for (const n of batch) plan.acknowledged.add(n);
      }
      // Warnings are advice (e.g. no endpoint to pull from yet); whether anything acknowledged
      // went missing is what the reconciliation verdict decides.
      const warning = header(reply, HARNESS_WARNING_HEADER);
      if (warning) {
        plan.warnings += 1;
        if (plan.firstWarning === undefined) plan.firstWarning = maskNhsNumbersInText(warning);
      }
      if (!o.verify) return [];
      if (reply.status === 200 && !success) problems.push('records: the 200 body is not {"result":"success"}');
      return problems;
    });
  };
}

export function createRequester(o: RequesterOptions): RequestFn {
  switch (o.profile.target) {
    case 'supplier':
      return supplierRequester(o);
    case 'aggregator':
      return aggregatorRequester(o);
    case 'records':
      return recordsRequester(o);
  }
}
