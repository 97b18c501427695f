/**
 * The one-line messages of EVA differences and verdicts.
 */
import { isOperationOutcome } from '../../core/fhir';
import { str } from './fhir-keys';
import type { JsonObject } from './values';

/** Short JSON excerpt for one-line messages. */
export function excerpt(v: unknown, max = 80): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function describeResource(r: JsonObject | undefined): string {
  if (!r) return 'an entry without a resource';
  const name = `${str(r.resourceType) ?? 'resource'}/${str(r.id) ?? '(no id)'}`;
  const status = str(r.status);
  return status ? `${name} (status ${status})` : name;
}

/** What a response body is, for people: "an OperationOutcome: exception: upstream down". */
export function describeBody(body: unknown): string {
  if (body === undefined || body === '') return 'empty';
  if (body === null) return 'JSON null';
  if (typeof body === 'string') return `text that is not JSON (${body.length} chars): ${excerpt(body, 60)}`;
  if (Array.isArray(body)) return 'a JSON array';
  if (typeof body !== 'object') return `the JSON value ${String(body)}`;
  if (isOperationOutcome(body)) {
    const i = body.issue[0];
    return `an OperationOutcome (${[i?.code, i?.diagnostics].filter(Boolean).join(': ') || 'no issue details'})`;
  }
  const rt = (body as JsonObject).resourceType;
  if (typeof rt === 'string') return `a ${rt} resource, not a Bundle`;
  return 'a JSON object without a resourceType';
}

export function changeMessage(e: unknown, a: unknown): string {
  if (e === undefined) return `not expected; the response has ${excerpt(a)}`;
  if (a === undefined) return `missing; expected ${excerpt(e)}`;
  return `expected ${excerpt(e)}, got ${excerpt(a)}`;
}
