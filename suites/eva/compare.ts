/**
 * The EVA comparator: what the pack says a supplier must return for a patient (expected) against
 * what the supplier returned (actual), compared the way FHIR means it rather than byte by byte.
 * Matching rules, path notation and ignore rules are documented in docs/eva.md.
 *
 * Shaped for `replay`, which feeds it one response at a time: `comparePatientResponse` per patient
 * and resource type, `EvaTally` to keep totals as verdicts arrive.
 */
import type { Bundle } from '../../core/fhir';
import { isOperationOutcome } from '../../core/fhir';
import { maskNhsNumber } from '../../core/nhs-number';
import { redact } from '../../core/redact';
import { advance, compileRules, ELEMENT, MEMBER, NO_STATES, type CompiledRules } from './rules';

export { IgnoreRuleError } from './rules';

export type DifferenceKind = 'missing-resource' | 'unexpected-resource' | 'changed' | 'total' | 'not-a-bundle';
export const DIFFERENCE_KINDS: readonly DifferenceKind[] = [
  'missing-resource',
  'unexpected-resource',
  'changed',
  'total',
  'not-a-bundle',
];

export interface Difference {
  kind: DifferenceKind;
  /** Readable, stable path, e.g. `/entry[id=abc]/resource/extension[url=https://...]/valueCode`. */
  path: string;
  /** RFC 6901 pointer into the actual (supplier's) document, when the element exists there. */
  actualPointer?: string;
  /** RFC 6901 pointer into the expected (pack) document, when the element exists there. */
  expectedPointer?: string;
  /** Absent when the supplier sent something the pack does not have. */
  expected?: unknown;
  /** Absent when the supplier left out something the pack has. */
  actual?: unknown;
  /** One line a person can read. */
  message: string;
}

/**
 * Ignored by default: the parts of a response that a conforming supplier legitimately makes up
 * itself (server metadata, its own base URLs, the search mode bookkeeping).
 */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  'meta',
  'fullUrl',
  '/entry/*/search',
  '/id',
  '/timestamp',
  '/link',
]);

export interface CompareOptions {
  /** Replaces DEFAULT_IGNORE. */
  ignore?: readonly string[];
  /** Added to the rules in effect (DEFAULT_IGNORE unless `ignore` is given). */
  alsoIgnore?: readonly string[];
}

export interface CompiledCompareOptions {
  readonly compiled: true;
  readonly rules: CompiledRules;
  /** Every rule in effect, as written. */
  readonly ignore: readonly string[];
}

/** Compile once and pass the result to every comparison of a run. Throws IgnoreRuleError. */
export function compileCompareOptions(opts: CompareOptions = {}): CompiledCompareOptions {
  const ignore = [...(opts.ignore ?? DEFAULT_IGNORE), ...(opts.alsoIgnore ?? [])];
  return { compiled: true, rules: compileRules(ignore), ignore };
}

const DEFAULT_COMPILED = compileCompareOptions();

function compiledOf(opts: CompareOptions | CompiledCompareOptions | undefined): CompiledCompareOptions {
  if (opts === undefined) return DEFAULT_COMPILED;
  return 'compiled' in opts ? opts : compileCompareOptions(opts);
}

// ---------------------------------------------------------------------------------------------
// Value semantics: what counts as "the same".

type JsonObject = Record<string, unknown>;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const own = (o: JsonObject, k: string): unknown => (hasOwn(o, k) ? o[k] : undefined);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** FHIR JSON has no nulls and no empty arrays; a supplier that sends them has sent nothing. */
function isAbsent(v: unknown): boolean {
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

function samePrimitive(e: unknown, a: unknown): boolean {
  if (e === a) return true;
  // Only strings that differ as text are parsed, so equal values never pay for the regex.
  if (typeof e !== 'string' || typeof a !== 'string' || e.length < 16 || a.length < 16) return false;
  const ek = instantKey(e);
  return ek !== undefined && ek === instantKey(a);
}

/** Arrays longer than this are bucketed by hash before pairing, so pairing stays near linear. */
const BUCKET_THRESHOLD = 24;

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

function bucketByHash(a: unknown[], floating: ReadonlySet<string>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  a.forEach((v, j) => {
    const h = hashValue(v, floating);
    const list = m.get(h);
    if (list) list.push(j);
    else m.set(h, [j]);
  });
  return m;
}

function findEqual(
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

// ---------------------------------------------------------------------------------------------
// Labels: how an element of an array is named in a readable path.

function str(v: unknown): string | undefined {
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

function firstIdentifier(resource: JsonObject): string | undefined {
  if (!Array.isArray(resource.identifier)) return undefined;
  for (const i of resource.identifier) {
    if (isObject(i) && str(i.system) !== undefined && str(i.value) !== undefined)
      return `${String(i.system)}|${String(i.value)}`;
  }
  return undefined;
}

function resourceOf(entry: unknown): JsonObject | undefined {
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

function escapePointer(s: string): string {
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

// ---------------------------------------------------------------------------------------------
// Messages.

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

function describeResource(r: JsonObject | undefined): string {
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

function changeMessage(e: unknown, a: unknown): string {
  if (e === undefined) return `not expected; the response has ${excerpt(a)}`;
  if (a === undefined) return `missing; expected ${excerpt(e)}`;
  return `expected ${excerpt(e)}, got ${excerpt(a)}`;
}

// ---------------------------------------------------------------------------------------------
// The diff.

/** A step on the readable path: a member name, or an array element named lazily. */
type Seg = string | { el: unknown; idx: number; entry: boolean };

class Differ {
  readonly out: Difference[] = [];
  private readonly segs: Seg[] = [];
  private readonly ePtr: string[] = [];
  private readonly aPtr: string[] = [];

  constructor(private readonly rules: CompiledRules) {}

  bundle(e: JsonObject, a: JsonObject): void {
    const root = this.rules.initial;
    for (const k in e) {
      if (k !== 'entry' && k !== 'total') this.member(k, e[k], own(a, k), root);
    }
    for (const k in a) {
      if (k !== 'entry' && k !== 'total' && !hasOwn(e, k)) this.member(k, undefined, a[k], root);
    }
    this.total(e, a, root);
    this.entries(e, a, root);
  }

  private total(e: JsonObject, a: JsonObject, root: readonly number[]): void {
    if (this.rules.floating.has('total') || advance(this.rules, root, MEMBER, 'total', () => '') === null) return;
    const expectedTotal = typeof e.total === 'number' ? e.total : Array.isArray(e.entry) ? e.entry.length : 0;
    const actualTotal = own(a, 'total');
    if (actualTotal === expectedTotal) return;
    this.out.push({
      kind: 'total',
      path: '/total',
      ...(actualTotal !== undefined ? { actualPointer: '/total' } : {}),
      ...(e.total !== undefined ? { expectedPointer: '/total' } : {}),
      expected: expectedTotal,
      ...(actualTotal !== undefined ? { actual: actualTotal } : {}),
      message:
        actualTotal === undefined
          ? `Bundle.total is missing; expected ${expectedTotal}`
          : `Bundle.total is ${excerpt(actualTotal)}, expected ${expectedTotal}`,
    });
  }

  private entries(e: JsonObject, a: JsonObject, root: readonly number[]): void {
    if (this.rules.floating.has('entry')) return;
    const states = advance(this.rules, root, MEMBER, 'entry', () => '');
    if (states === null) return;
    const eList = Array.isArray(e.entry) ? e.entry : [];
    const aRaw = own(a, 'entry');
    this.segs.push('entry');
    this.ePtr.push('entry');
    this.aPtr.push('entry');
    if (!isAbsent(aRaw) && !Array.isArray(aRaw)) {
      this.changed(eList.length ? eList : undefined, aRaw);
    } else {
      this.matchEntries(eList, Array.isArray(aRaw) ? aRaw : [], states);
    }
    this.segs.pop();
    this.ePtr.pop();
    this.aPtr.pop();
  }

  private matchEntries(eList: unknown[], aList: unknown[], states: readonly number[]): void {
    const aUsed = new Uint8Array(aList.length);
    const eTo = new Int32Array(eList.length).fill(-1);
    const byId = new Map<string, number[]>();
    const byIdent = new Map<string, number[]>();
    const push = (m: Map<string, number[]>, k: string, j: number): void => {
      const l = m.get(k);
      if (l) l.push(j);
      else m.set(k, [j]);
    };
    aList.forEach((entry, j) => {
      const r = resourceOf(entry);
      if (!r) return;
      const rt = str(r.resourceType) ?? '';
      if (str(r.id) !== undefined) push(byId, `${rt}/${String(r.id)}`, j);
      if (Array.isArray(r.identifier)) {
        for (const i of r.identifier) {
          if (isObject(i) && str(i.system) !== undefined && i.value !== undefined)
            push(byIdent, `${rt}|${String(i.system)}|${String(i.value)}`, j);
        }
      }
    });
    const take = (list: number[] | undefined): number => {
      if (!list) return -1;
      for (const j of list)
        if (!aUsed[j]) {
          aUsed[j] = 1;
          return j;
        }
      return -1;
    };
    // Identity first by id, then by any business identifier, then (for entries with neither) by
    // position among the leftovers of the same resource type.
    eList.forEach((entry, i) => {
      const r = resourceOf(entry);
      if (r && str(r.id) !== undefined) eTo[i] = take(byId.get(`${str(r.resourceType) ?? ''}/${String(r.id)}`));
    });
    eList.forEach((entry, i) => {
      const r = resourceOf(entry);
      if (eTo[i] >= 0 || !r || !Array.isArray(r.identifier)) return;
      const rt = str(r.resourceType) ?? '';
      for (const ident of r.identifier) {
        if (!isObject(ident) || str(ident.system) === undefined || ident.value === undefined) continue;
        const j = take(byIdent.get(`${rt}|${String(ident.system)}|${String(ident.value)}`));
        if (j >= 0) {
          eTo[i] = j;
          break;
        }
      }
    });
    const keyless = (entry: unknown): boolean => {
      const r = resourceOf(entry);
      return !r || (str(r.id) === undefined && firstIdentifier(r) === undefined);
    };
    eList.forEach((entry, i) => {
      if (eTo[i] >= 0 || !keyless(entry)) return;
      const rt = str(resourceOf(entry)?.resourceType);
      for (let j = 0; j < aList.length; j++) {
        if (!aUsed[j] && keyless(aList[j]) && str(resourceOf(aList[j])?.resourceType) === rt) {
          aUsed[j] = 1;
          eTo[i] = j;
          break;
        }
      }
    });

    eList.forEach((entry, i) => {
      const j = eTo[i];
      const next = states.length ? advance(this.rules, states, ELEMENT, '', () => entryLabel(entry, i)) : NO_STATES;
      if (next === null) return;
      this.segs.push({ el: entry, idx: i, entry: true });
      this.ePtr.push(String(i));
      if (j >= 0) {
        this.aPtr.push(String(j));
        this.value(entry, aList[j], next);
        this.aPtr.pop();
      } else {
        const r = resourceOf(entry);
        this.out.push({
          kind: 'missing-resource',
          path: this.path(),
          expectedPointer: this.pointer(this.ePtr),
          expected: r ?? entry,
          message: `expected ${describeResource(r)} is missing from the response`,
        });
      }
      this.segs.pop();
      this.ePtr.pop();
    });
    aList.forEach((entry, j) => {
      if (aUsed[j]) return;
      const next = states.length ? advance(this.rules, states, ELEMENT, '', () => entryLabel(entry, j)) : NO_STATES;
      if (next === null) return;
      this.segs.push({ el: entry, idx: j, entry: true });
      this.aPtr.push(String(j));
      const r = resourceOf(entry);
      this.out.push({
        kind: 'unexpected-resource',
        path: this.path(),
        actualPointer: this.pointer(this.aPtr),
        actual: r ?? entry,
        message: `the response has ${describeResource(r)}, which the pack does not expect`,
      });
      this.segs.pop();
      this.aPtr.pop();
    });
  }

  private member(name: string, e: unknown, a: unknown, states: readonly number[]): void {
    if (this.rules.floating.has(name)) return;
    const next = states.length ? advance(this.rules, states, MEMBER, name, () => '') : NO_STATES;
    if (next === null) return;
    const p = escapePointer(name);
    this.segs.push(name);
    this.ePtr.push(p);
    this.aPtr.push(p);
    this.value(e, a, next);
    this.segs.pop();
    this.ePtr.pop();
    this.aPtr.pop();
  }

  private value(e: unknown, a: unknown, states: readonly number[]): void {
    const eAbs = isAbsent(e);
    const aAbs = isAbsent(a);
    if (eAbs && aAbs) return;
    if (eAbs || aAbs) {
      this.changed(eAbs ? undefined : e, aAbs ? undefined : a);
      return;
    }
    if (typeof e !== 'object' || typeof a !== 'object') {
      if (!samePrimitive(e, a)) this.changed(e, a);
      return;
    }
    const eArr = Array.isArray(e);
    if (eArr !== Array.isArray(a)) {
      this.changed(e, a);
      return;
    }
    if (eArr) {
      this.array(e as unknown[], a as unknown[], states);
      return;
    }
    const eo = e as JsonObject;
    const ao = a as JsonObject;
    for (const k in eo) this.member(k, eo[k], own(ao, k), states);
    for (const k in ao) if (!hasOwn(eo, k)) this.member(k, undefined, ao[k], states);
  }

  private array(e: unknown[], a: unknown[], states: readonly number[]): void {
    const floating = this.rules.floating;
    // The usual case: the same elements in the same order.
    if (e.length === a.length) {
      let i = 0;
      while (i < e.length && deepEqual(e[i], a[i], floating)) i++;
      if (i === e.length) return;
    }
    const { eTo, exact, aUsed } = pairElements(e, a, floating);
    for (let i = 0; i < e.length; i++) {
      const j = eTo[i];
      if (j >= 0 && exact[i]) continue;
      const el = e[i];
      const next = states.length
        ? advance(this.rules, states, ELEMENT, '', () => elementKey(el) ?? String(i))
        : NO_STATES;
      if (next === null) continue;
      this.segs.push({ el, idx: i, entry: false });
      this.ePtr.push(String(i));
      if (j >= 0) {
        this.aPtr.push(String(j));
        this.value(el, a[j], next);
        this.aPtr.pop();
      } else {
        this.changed(el, undefined);
      }
      this.segs.pop();
      this.ePtr.pop();
    }
    for (let j = 0; j < a.length; j++) {
      if (aUsed[j]) continue;
      const el = a[j];
      const next = states.length
        ? advance(this.rules, states, ELEMENT, '', () => elementKey(el) ?? String(j))
        : NO_STATES;
      if (next === null) continue;
      this.segs.push({ el, idx: j, entry: false });
      this.aPtr.push(String(j));
      this.changed(undefined, el);
      this.segs.pop();
      this.aPtr.pop();
    }
  }

  private changed(e: unknown, a: unknown): void {
    this.out.push({
      kind: 'changed',
      path: this.path(),
      ...(a !== undefined ? { actualPointer: this.pointer(this.aPtr) } : {}),
      ...(e !== undefined ? { expectedPointer: this.pointer(this.ePtr) } : {}),
      ...(e !== undefined ? { expected: e } : {}),
      ...(a !== undefined ? { actual: a } : {}),
      message: changeMessage(e, a),
    });
  }

  private path(): string {
    let s = '';
    for (const seg of this.segs) {
      if (typeof seg === 'string') s += `/${seg}`;
      else s += `[${seg.entry ? entryLabel(seg.el, seg.idx) : (elementKey(seg.el) ?? String(seg.idx))}]`;
    }
    return s || '/';
  }

  private pointer(parts: string[]): string {
    return parts.length ? `/${parts.join('/')}` : '';
  }
}

/**
 * Pairs the elements of two arrays that FHIR treats as sets: equal elements first, then elements
 * with the same natural key, then (among what is left) the pairs with the most equal leaf values,
 * so a one-field change is reported as that field, not as a removed and an added element.
 */
function pairElements(
  e: unknown[],
  a: unknown[],
  floating: ReadonlySet<string>,
): { eTo: Int32Array; exact: Uint8Array; aUsed: Uint8Array } {
  const n = e.length;
  const m = a.length;
  const eTo = new Int32Array(n).fill(-1);
  const exact = new Uint8Array(n);
  const aUsed = new Uint8Array(m);
  const buckets = m > BUCKET_THRESHOLD ? bucketByHash(a, floating) : undefined;
  for (let i = 0; i < n; i++) {
    const j = i < m && !aUsed[i] && deepEqual(e[i], a[i], floating) ? i : findEqual(e[i], a, aUsed, floating, buckets);
    if (j >= 0) {
      eTo[i] = j;
      exact[i] = 1;
      aUsed[j] = 1;
    }
  }
  const byKey = new Map<string, number[]>();
  for (let j = 0; j < m; j++) {
    if (aUsed[j]) continue;
    const k = elementKey(a[j]);
    if (k === undefined) continue;
    const l = byKey.get(k);
    if (l) l.push(j);
    else byKey.set(k, [j]);
  }
  for (let i = 0; i < n; i++) {
    if (eTo[i] >= 0) continue;
    const k = elementKey(e[i]);
    const list = k === undefined ? undefined : byKey.get(k);
    if (!list) continue;
    const j = list.find((x) => !aUsed[x]);
    if (j !== undefined) {
      eTo[i] = j;
      aUsed[j] = 1;
    }
  }
  const eLeft: number[] = [];
  const aLeft: number[] = [];
  for (let i = 0; i < n; i++) if (eTo[i] < 0) eLeft.push(i);
  for (let j = 0; j < m; j++) if (!aUsed[j]) aLeft.push(j);
  if (eLeft.length === 0 || aLeft.length === 0) return { eTo, exact, aUsed };
  if (
    eLeft.length === 1 &&
    aLeft.length === 1 &&
    !isObject(e[eLeft[0]]) &&
    !isObject(a[aLeft[0]]) &&
    !Array.isArray(e[eLeft[0]])
  ) {
    // One value swapped for another in a set of primitives: one change, not a removal and an addition.
    eTo[eLeft[0]] = aLeft[0];
    aUsed[aLeft[0]] = 1;
    return { eTo, exact, aUsed };
  }
  // Bounded so a hostile response with huge arrays cannot make pairing quadratic in practice.
  if (eLeft.length * aLeft.length > 1024) return { eTo, exact, aUsed };
  const scored: Array<{ i: number; j: number; s: number }> = [];
  for (const i of eLeft) {
    for (const j of aLeft) {
      const s = similarity(e[i], a[j], floating);
      if (s > 0) scored.push({ i, j, s });
    }
  }
  scored.sort((x, y) => y.s - x.s || x.i - y.i || x.j - y.j);
  for (const { i, j } of scored) {
    if (eTo[i] >= 0 || aUsed[j]) continue;
    eTo[i] = j;
    aUsed[j] = 1;
  }
  return { eTo, exact, aUsed };
}

/**
 * How much two elements have in common: the number of equal leaf values at the same place, with
 * arrays compared element by best match. Used only for elements nothing else could pair.
 */
function similarity(e: unknown, a: unknown, floating: ReadonlySet<string>): number {
  if (isAbsent(e) || isAbsent(a)) return 0;
  if (typeof e !== 'object' || typeof a !== 'object') return samePrimitive(e, a) ? 1 : 0;
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return 0;
    let n = 0;
    for (const x of e) {
      let best = 0;
      for (const y of a) best = Math.max(best, similarity(x, y, floating));
      n += best;
    }
    return n;
  }
  if (Array.isArray(a)) return 0;
  let n = 0;
  for (const k in e as JsonObject) {
    if (!floating.has(k)) n += similarity((e as JsonObject)[k], own(a as JsonObject, k), floating);
  }
  return n;
}

function isBundle(v: unknown): v is JsonObject {
  return isObject(v) && v.resourceType === 'Bundle';
}

const EMPTY_SEARCHSET: Bundle = Object.freeze({ resourceType: 'Bundle', type: 'searchset', total: 0 }) as Bundle;

/**
 * Every difference between the pack's expected bundle and the supplier's response, in one pass.
 * `expected` undefined means the pack expects nothing: an empty searchset with total 0. Values in
 * the result are the documents' own (not copied, not masked); `comparePatientResponse` masks.
 */
export function compareBundles(
  expected: Bundle | undefined,
  actual: unknown,
  opts?: CompareOptions | CompiledCompareOptions,
): Difference[] {
  if (!isBundle(actual)) {
    return [
      {
        kind: 'not-a-bundle',
        path: '/',
        actual,
        message: `the response is not a FHIR Bundle: it is ${describeBody(actual)}`,
      },
    ];
  }
  const d = new Differ(compiledOf(opts).rules);
  d.bundle((expected ?? EMPTY_SEARCHSET) as unknown as JsonObject, actual);
  return d.out;
}

// ---------------------------------------------------------------------------------------------
// Per-patient verdicts and totals.

export type EvaOutcome = 'match' | 'mismatch' | 'error';

export interface PatientResponse {
  nhsNumber: string;
  resourceType: string;
  /** The pack's bundle for this patient and type; undefined means an empty searchset is expected. */
  expected: Bundle | undefined;
  /** HTTP status; undefined when no response arrived (see `error`). */
  status?: number;
  /** Parsed JSON, or the raw text when it did not parse. */
  body: unknown;
  /** Why there was no response (timeout, connection refused), when there was none. */
  error?: string;
  /** Position of the patient in the pack: not patient data, and tells patients with the same mask apart. */
  patientIndex?: number;
  /** The pack's scenario label for the patient, e.g. "cancelled outpatient". */
  scenario?: string;
  durationMs?: number;
}

export interface PatientVerdict {
  nhsNumberMasked: string;
  resourceType: string;
  verdict: EvaOutcome;
  status?: number;
  /** Already masked: NHS numbers in values and paths are replaced by their masks. */
  differences: Difference[];
  patientIndex?: number;
  scenario?: string;
  durationMs?: number;
}

export function comparePatientResponse(
  r: PatientResponse,
  opts?: CompareOptions | CompiledCompareOptions,
): PatientVerdict {
  const base: PatientVerdict = {
    nhsNumberMasked: maskNhsNumber(r.nhsNumber),
    resourceType: r.resourceType,
    verdict: 'match',
    ...(r.status !== undefined ? { status: r.status } : {}),
    differences: [],
    ...(r.patientIndex !== undefined ? { patientIndex: r.patientIndex } : {}),
    ...(r.scenario !== undefined ? { scenario: r.scenario } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
  };
  const fail = (message: string, actual?: unknown): PatientVerdict => ({
    ...base,
    verdict: 'error',
    differences: redact([{ kind: 'not-a-bundle', path: '/', ...(actual !== undefined ? { actual } : {}), message }]),
  });
  if (r.status === undefined) return fail(`no response: ${r.error ?? 'the request did not complete'}`);
  let body = r.body;
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Kept as text: describeBody says it is not JSON.
    }
  }
  if (r.status !== 200)
    return fail(
      `HTTP ${r.status} (expected 200 with a Bundle): the body is ${describeBody(body)}`,
      isObject(body) ? body : undefined,
    );
  const differences = compareBundles(r.expected, body, opts);
  if (differences.length === 0) return base;
  const verdict: EvaOutcome = differences.some((d) => d.kind === 'not-a-bundle') ? 'error' : 'mismatch';
  return { ...base, verdict, differences: redact(differences) };
}

export interface VerdictCounts {
  match: number;
  mismatch: number;
  error: number;
}

export interface EvaTotals extends VerdictCounts {
  /** Patient and resource-type pairs compared. */
  comparisons: number;
  /** Distinct patients, when verdicts carry `patientIndex`. */
  patients?: number;
  differences: number;
  byKind: Record<DifferenceKind, number>;
  byResourceType: Record<string, VerdictCounts>;
  /** True when every comparison matched. */
  passed: boolean;
}

/** Running totals, so replay can count as verdicts arrive without keeping a second list. */
export class EvaTally {
  private readonly t: Omit<EvaTotals, 'passed' | 'patients'> = {
    comparisons: 0,
    match: 0,
    mismatch: 0,
    error: 0,
    differences: 0,
    byKind: Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<DifferenceKind, number>,
    byResourceType: {},
  };
  private readonly patients = new Set<number>();

  add(v: PatientVerdict): this {
    const t = this.t;
    t.comparisons++;
    t[v.verdict]++;
    const rt = (t.byResourceType[v.resourceType] ??= { match: 0, mismatch: 0, error: 0 });
    rt[v.verdict]++;
    t.differences += v.differences.length;
    for (const d of v.differences) t.byKind[d.kind]++;
    if (v.patientIndex !== undefined) this.patients.add(v.patientIndex);
    return this;
  }

  totals(): EvaTotals {
    const t = this.t;
    return {
      ...t,
      byKind: { ...t.byKind },
      byResourceType: Object.fromEntries(Object.entries(t.byResourceType).map(([k, v]) => [k, { ...v }])),
      ...(this.patients.size ? { patients: this.patients.size } : {}),
      passed: t.mismatch === 0 && t.error === 0,
    };
  }
}

export function summarise(verdicts: Iterable<PatientVerdict>): EvaTotals {
  const tally = new EvaTally();
  for (const v of verdicts) tally.add(v);
  return tally.totals();
}
