/**
 * The requests producer checks make, by name. A probe is built once per run and endpoint (memoised),
 * so the ten checks that judge the "happy" response for a patient share one request.
 */
import { randomUUID } from 'node:crypto';
import type { ProducerResourceType } from '../../core/fhir';
import { CORRELATION_HEADER } from '../../core/http';
import { INVALID_IDENTIFIER, NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import type { PackPatient } from '../../fixtures/pack';
import {
  type AccessCredential,
  type CheckContext,
  type Exchange,
  type HttpRequest,
  type IdTokenKind,
  memo,
} from './check';

export type IdentifierVariant = 'valid' | 'missing' | 'invalid';

export interface ProbeSpec {
  label: string;
  patient: PackPatient;
  identifier?: IdentifierVariant;
  access?: AccessCredential;
  idToken?: IdTokenKind;
  /** For `other-patient` ID tokens: whose NHS number the token carries. */
  other?: PackPatient;
}

/** What a probe gives a check: the exchange, or why it could not be made (the check skips with it). */
export type ProbeResult = { exchange: Exchange } | { unavailable: string };

export { INVALID_IDENTIFIER };

export function identifierValue(spec: Pick<ProbeSpec, 'identifier' | 'patient'>): string | undefined {
  switch (spec.identifier ?? 'valid') {
    case 'missing':
      return undefined;
    case 'invalid':
      return INVALID_IDENTIFIER;
    default:
      return `${NHS_NUMBER_SYSTEM}|${spec.patient.nhsNumber}`;
  }
}

export function endpointUrl(base: string, identifier: string | undefined): string {
  if (identifier === undefined) return base;
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}patient:identifier=${encodeURIComponent(identifier)}`;
}

/** Builds the request for a probe: tokens from the run's credentials, a fresh correlation id. */
export async function buildRequest(
  ctx: CheckContext,
  type: ProducerResourceType,
  spec: ProbeSpec,
): Promise<HttpRequest | { unavailable: string }> {
  const base = ctx.endpoints[type];
  if (!base) return { unavailable: `the supplier offers no ${type} endpoint in this run` };
  const access = spec.access ?? 'valid';
  const idKind = spec.idToken ?? 'valid';
  const headers: Record<string, string> = { Accept: 'application/fhir+json', [CORRELATION_HEADER]: randomUUID() };
  if (access === 'valid') headers.Authorization = `Bearer ${await ctx.credentials.accessToken()}`;
  if (access === 'invalid') headers.Authorization = `Bearer ${ctx.credentials.invalidAccessToken()}`;
  if (idKind !== 'none') {
    const minted = await ctx.credentials.idToken({ kind: idKind, patient: spec.patient, other: spec.other });
    if ('unavailable' in minted) return minted;
    headers['NHSD-ID-Token'] = minted.token;
  }
  return {
    method: 'GET',
    url: endpointUrl(base, identifierValue(spec)),
    headers,
    label: spec.label,
    access,
    idToken: idKind,
    patient: spec.patient,
  };
}

/** Makes (or reuses) the probe's exchange. */
export function probe(ctx: CheckContext, type: ProducerResourceType, spec: ProbeSpec): Promise<ProbeResult> {
  const key = [
    'probe',
    type,
    spec.patient.nhsNumber,
    spec.identifier ?? 'valid',
    spec.access ?? 'valid',
    spec.idToken ?? 'valid',
    spec.other?.nhsNumber ?? '',
  ].join('|');
  return memo(ctx, key, async () => {
    const req = await buildRequest(ctx, type, spec);
    if ('unavailable' in req) return req;
    const response = await ctx.transport(req);
    return { exchange: { request: req, response } };
  });
}
