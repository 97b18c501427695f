/**
 * The EVA differ: every difference between the pack's expected bundle and a supplier's response,
 * collected in one pass, with readable paths and JSON pointers into both documents.
 */
import type { Bundle } from '../../core/fhir';
import { entryLabel, elementKey, escapePointer, firstIdentifier, resourceOf, str } from './fhir-keys';
import { changeMessage, describeBody, describeResource, excerpt } from './messages';
import { type CompareOptions, type CompiledCompareOptions, compiledOf } from './options';
import { advance, ELEMENT, MEMBER, NO_STATES, type CompiledRules } from './rules';
import {
  BUCKET_THRESHOLD,
  bucketByHash,
  deepEqual,
  findEqual,
  hasOwn,
  isAbsent,
  isObject,
  type JsonObject,
  own,
  samePrimitive,
} from './values';

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
