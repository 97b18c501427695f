/**
 * The comparator against every bundle of the default pack: a copy matches, and changing any single
 * value yields exactly one difference that points at that value.
 */
import type { Bundle } from '../../core/fhir';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { compareBundles, compileCompareOptions } from './compare';
import { advance, ELEMENT, MEMBER } from './rules';

const pack = buildDefaultPack(new Date('2025-06-01T00:00:00Z'));
const bundles: Array<{ label: string; bundle: Bundle }> = pack.patients.flatMap((p, i) =>
  Object.entries(p.expected).map(([type, bundle]) => ({
    label: `patient ${i} (${p.scenario ?? ''}) ${type}`,
    bundle: bundle as Bundle,
  })),
);

type Leaf = { path: Array<string | number>; value: string | number | boolean };

function leaves(v: unknown, path: Array<string | number> = [], out: Leaf[] = []): Leaf[] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push({ path, value: v });
  return out;
}

function altered(b: Bundle, leaf: Leaf): Bundle {
  const copy = structuredClone(b) as unknown as Record<string | number, unknown>;
  let node = copy;
  for (const k of leaf.path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const v = leaf.value;
  node[leaf.path[leaf.path.length - 1]] = typeof v === 'string' ? `${v}-altered` : typeof v === 'number' ? v + 1 : !v;
  return copy as unknown as Bundle;
}

/** Whether the default rules ignore a leaf (checked with the same matcher the comparator uses). */
function ignoredByDefault(path: Array<string | number>): boolean {
  const { rules } = compileCompareOptions();
  let states: readonly number[] | null = rules.initial;
  for (const k of path) {
    if (typeof k === 'string' && rules.floating.has(k)) return true;
    states =
      typeof k === 'number'
        ? advance(rules, states, ELEMENT, '', () => String(k))
        : advance(rules, states, MEMBER, k, () => '');
    if (states === null) return true;
  }
  return false;
}

const pointer = (path: Array<string | number>): string => `/${path.join('/')}`;

describe('default pack', () => {
  it('has bundles with entries to compare', () => {
    expect(bundles.length).toBeGreaterThan(10);
    expect(bundles.filter((b) => (b.bundle.entry?.length ?? 0) > 1).length).toBeGreaterThan(0);
  });

  it('every bundle matches a copy of itself', () => {
    for (const { label, bundle } of bundles)
      expect([label, compareBundles(bundle, structuredClone(bundle))]).toEqual([label, []]);
  });

  it('every bundle with any one value changed gives exactly one difference at that value', () => {
    let checked = 0;
    for (const { label, bundle } of bundles) {
      for (const leaf of leaves(bundle)) {
        const at = pointer(leaf.path);
        // A resource with another type is another resource; covered by the missing/unexpected tests.
        if (leaf.path[leaf.path.length - 1] === 'resourceType') continue;
        const diffs = compareBundles(bundle, altered(bundle, leaf));
        const where = `${label} ${at}`;
        if (ignoredByDefault(leaf.path)) {
          expect([where, diffs]).toEqual([where, []]);
          continue;
        }
        const isResourceId =
          leaf.path.length === 4 && leaf.path[0] === 'entry' && leaf.path[2] === 'resource' && leaf.path[3] === 'id';
        const resource = bundle.entry?.[leaf.path[1] as number]?.resource as { identifier?: unknown[] } | undefined;
        if (isResourceId && !resource?.identifier?.length) {
          // Nothing else identifies it, so the changed resource is another resource.
          expect([where, diffs.map((d) => d.kind)]).toEqual([where, ['missing-resource', 'unexpected-resource']]);
          continue;
        }
        expect([where, diffs.length]).toEqual([where, 1]);
        expect([where, diffs[0].actualPointer]).toEqual([where, at]);
        expect([where, diffs[0].kind]).toEqual([where, at === '/total' ? 'total' : 'changed']);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
