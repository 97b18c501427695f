/**
 * Value semantics of the EVA comparator: what counts as "the same" in FHIR JSON (absent, null and []
 * alike, instants as moments, arrays as multisets) and the order-independent hash that keeps
 * pairing large arrays near linear.
 */
import { DEFAULT_COMPILED } from './options';

export type JsonObject = Record<string, unknown>;

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
export const own = (o: JsonObject, k: string): unknown => (hasOwn(o, k) ? o[k] : undefined);

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** FHIR JSON has no nulls and no empty arrays; a supplier that sends them has sent nothing. */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The moment an instant/dateTime-with-zone names, as a comparable string; undefined if not one. */
export function instantKey(s: string): string | undefined {
  const m = INSTANT.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    m[6] ? Number(m[6]) : 0,
  );
  if (Number.isNaN(ms)) return undefined;
  const offsetMinutes = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
  const seconds = ms / 1000 - offsetMinutes * 60;
  return `${seconds}.${(m[7] ?? '').replace(/0+$/, '')}`;
}

export function samePrimitive(e: unknown, a: unknown): boolean {
  if (e === a) return true;
  // Only strings that differ as text are parsed, so equal values never pay for the regex.
  if (typeof e !== 'string' || typeof a !== 'string' || e.length < 16 || a.length < 16) return false;
  const ek = instantKey(e);
  return ek !== undefined && ek === instantKey(a);
}

/** Arrays longer than this are bucketed by hash before pairing, so pairing stays near linear. */
export const BUCKET_THRESHOLD = 24;

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) | 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h | 0;
}

/** Order-independent structural hash consistent with deepEqual (equal values hash equal). */
function hashValue(v: unknown, floating: ReadonlySet<string>): number {
  if (isAbsent(v)) return 0;
  if (typeof v === 'string') return hashString(instantKey(v) ?? v);
  if (typeof v !== 'object') return mix(hashString(`${typeof v}:${String(v)}`));
  if (Array.isArray(v)) {
    let h = 0x1234;
    for (const el of v) h = (h + mix(hashValue(el, floating))) | 0;
    return mix(h);
  }
  let h = 0x5678;
  for (const k in v as JsonObject) {
    if (floating.has(k)) continue;
    const child = (v as JsonObject)[k];
    if (isAbsent(child)) continue;
    h = (h + mix(hashString(k) ^ hashValue(child, floating))) | 0;
  }
  return mix(h);
}

/** Deep equality under the EVA rules: unordered arrays, instants as instants, absent == null == []. */
export function deepEqual(
  e: unknown,
  a: unknown,
  floating: ReadonlySet<string> = DEFAULT_COMPILED.rules.floating,
): boolean {
  if (e === a) return true;
  const eAbs = isAbsent(e);
  const aAbs = isAbsent(a);
  if (eAbs || aAbs) return eAbs && aAbs;
  if (typeof e !== 'object' || typeof a !== 'object') return samePrimitive(e, a);
  const eArr = Array.isArray(e);
  if (eArr !== Array.isArray(a)) return false;
  if (eArr) return sameMultiset(e as unknown[], a as unknown[], floating);
  const eo = e as JsonObject;
  const ao = a as JsonObject;
  for (const k in eo) {
    if (floating.has(k)) continue;
    if (!deepEqual(eo[k], own(ao, k), floating)) return false;
  }
  for (const k in ao) {
    if (floating.has(k) || hasOwn(eo, k)) continue;
    if (!isAbsent(ao[k])) return false;
  }
  return true;
}

function sameMultiset(e: unknown[], a: unknown[], floating: ReadonlySet<string>): boolean {
  if (e.length !== a.length) return false;
  const n = e.length;
  // Most arrays arrive in the same order: try the same index first, fall back to a scan.
  const used = new Uint8Array(n);
  const buckets = n > BUCKET_THRESHOLD ? bucketByHash(a, floating) : undefined;
  for (let i = 0; i < n; i++) {
    if (!used[i] && deepEqual(e[i], a[i], floating)) {
      used[i] = 1;
      continue;
    }
    const j = findEqual(e[i], a, used, floating, buckets);
    if (j < 0) return false;
    used[j] = 1;
  }
  return true;
}

export function bucketByHash(a: unknown[], floating: ReadonlySet<string>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  a.forEach((v, j) => {
    const h = hashValue(v, floating);
    const list = m.get(h);
    if (list) list.push(j);
    else m.set(h, [j]);
  });
  return m;
}

export function findEqual(
  v: unknown,
  a: unknown[],
  used: Uint8Array,
  floating: ReadonlySet<string>,
  buckets?: Map<number, number[]>,
): number {
  const candidates = buckets ? (buckets.get(hashValue(v, floating)) ?? []) : undefined;
  if (candidates) {
    for (const j of candidates) if (!used[j] && deepEqual(v, a[j], floating)) return j;
    return -1;
  }
  for (let j = 0; j < a.length; j++) if (!used[j] && deepEqual(v, a[j], floating)) return j;
  return -1;
}
