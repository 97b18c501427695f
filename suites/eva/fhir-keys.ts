/**
 * How the EVA comparator names what it compares: the natural key FHIR identifies an array element
 * by (an extension by its url, a coding by its system, ...), bundle entry labels, JSON pointers.
 */
import { isObject, type JsonObject } from './values';

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function describeReference(r: JsonObject): string | undefined {
  const type = str(r.type) ?? '';
  const ident = isObject(r.identifier) ? r.identifier : undefined;
  if (ident && str(ident.system) !== undefined && ident.value !== undefined)
    return `${type}|${String(ident.system)}|${String(ident.value)}`;
  const target = str(r.reference) ?? str(r.display);
  return target === undefined ? undefined : `${type}|${target}`;
}

/**
 * The natural key of an array element, or undefined when it has none (it is then named by
 * position). Keys are what FHIR identifies such elements by: an extension by its url, a coding or
 * identifier by its system, a participant by its actor.
 */
export function elementKey(el: unknown): string | undefined {
  if (!isObject(el)) return el === null || typeof el === 'object' ? undefined : `=${String(el)}`;
  const relation = str(el.relation);
  if (relation !== undefined) return `relation=${relation}`;
  const url = str(el.url);
  if (url !== undefined) return `url=${url}`;
  const system = str(el.system);
  if (system !== undefined && (el.value !== undefined || el.code !== undefined)) return `system=${system}`;
  if (el.system === undefined && str(el.code) !== undefined) return `code=${String(el.code)}`;
  const id = str(el.id);
  if (id !== undefined) return `id=${id}`;
  if (isObject(el.actor)) {
    const d = describeReference(el.actor);
    if (d !== undefined) return `actor=${d}`;
  }
  const reference = str(el.reference);
  if (reference !== undefined) return `reference=${reference}`;
  if (isObject(el.identifier)) {
    const d = describeReference(el);
    if (d !== undefined) return `identifier=${d.slice(d.indexOf('|') + 1)}`;
  }
  if (isObject(el.attachment) && str(el.attachment.url) !== undefined) return `attachment=${String(el.attachment.url)}`;
  return undefined;
}

export function firstIdentifier(resource: JsonObject): string | undefined {
  if (!Array.isArray(resource.identifier)) return undefined;
  for (const i of resource.identifier) {
    if (isObject(i) && str(i.system) !== undefined && str(i.value) !== undefined)
      return `${String(i.system)}|${String(i.value)}`;
  }
  return undefined;
}

export function resourceOf(entry: unknown): JsonObject | undefined {
  return isObject(entry) && isObject(entry.resource) ? entry.resource : undefined;
}

/** `id=abc`, else `identifier=system|value`, else the position in its own bundle. */
export function entryLabel(entry: unknown, index: number): string {
  const r = resourceOf(entry);
  if (r) {
    if (str(r.id) !== undefined) return `id=${String(r.id)}`;
    const ident = firstIdentifier(r);
    if (ident !== undefined) return `identifier=${ident}`;
  }
  return String(index);
}

export function escapePointer(s: string): string {
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}
