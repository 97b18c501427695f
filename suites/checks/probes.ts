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

/**
 * Each malformed form of patient:identifier, probed on its own: a supplier that checks the format but
 * not the check digit (or the system but not the format) is caught by exactly the form it lets through.
 */
export const MALFORMED_IDENTIFIERS = {
  'wrong-check-digit': 'an NHS number whose Modulus 11 check digit is wrong',
  'nine-digits': 'an NHS number of 9 digits',
  'eleven-digits': 'an NHS number of 11 digits',
  letters: 'an NHS number with letters in it',
  'leading-zero': 'an NHS number starting with 0',
  'other-system': 'another identifier system',
  'empty-value': 'the system with an empty value',
  twice: 'patient:identifier given twice',
} as const;
export type MalformedIdentifier = keyof typeof MALFORMED_IDENTIFIERS;

export type IdentifierVariant = 'valid' | 'missing' | 'invalid' | MalformedIdentifier;

/** The NHS number system's OID: a real identifier system, but not the one the standard names. */
export const OTHER_IDENTIFIER_SYSTEM = 'urn:oid:2.16.840.1.113883.2.1.4.1';

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

/** The patient:identifier value(s) a probe sends: none, one, or (for `twice`) two. */
export function identifierValue(spec: Pick<ProbeSpec, 'identifier' | 'patient'>): string[] {
  const n = spec.patient.nhsNumber;
  const nhs = (v: string) => [`${NHS_NUMBER_SYSTEM}|${v}`];
  switch (spec.identifier ?? 'valid') {
    case 'missing':
      return [];
    case 'invalid':
      return [INVALID_IDENTIFIER];
    case 'wrong-check-digit':
      // Modulus 11 gives one check digit per prefix, so any other digit is wrong.
      return nhs(`${n.slice(0, 9)}${(Number(n[9]) + 1) % 10}`);
    case 'nine-digits':
      return nhs(n.slice(0, 9));
    case 'eleven-digits':
      // Not the patient's number plus a digit: evidence masks NHS numbers, and 11 digits would hide one unmasked.
      return nhs(`${n.slice(0, 9)}${(Number(n[9]) + 1) % 10}0`);
    case 'letters':
      return nhs(`${n.slice(0, 7)}ABC`);
    case 'leading-zero':
      return nhs(`0${n.slice(1)}`);
    case 'other-system':
      return [`${OTHER_IDENTIFIER_SYSTEM}|${n}`];
    case 'empty-value':
      return nhs('');
    case 'twice':
      return [...nhs(n), ...nhs(n)];
    case 'valid':
      return nhs(n);
  }
}

export function endpointUrl(base: string, identifiers: readonly string[]): string {
  let url = base;
  for (const v of identifiers) url += `${url.includes('?') ? '&' : '?'}patient:identifier=${encodeURIComponent(v)}`;
  return url;
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
