/**
 * A fixture pack rewritten into the official producer schema's own shape, where that schema
 * disagrees with its examples and FHIR R4 (docs/spec-errata.md): what a supplier who built to the
 * schema alone would send. Written from the facts listed in docs/spec-errata.md, never from the spec
 * files, so tests that use it stay hermetic.
 */
import type { FixturePack } from '../fixtures/pack';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One resource in the schema's shape: E-06, E-07, E-08 (Task), E-09 (DocumentReference). */
export function toSchemaShape(resource: Obj): Obj {
  if (resource.resourceType === 'Task') {
    const { authoredOn, identifier, reasonCode, ...rest } = resource;
    return {
      ...rest,
      // E-08: one object, not an array.
      ...(Array.isArray(identifier) && identifier.length ? { identifier: identifier[0] as unknown } : {}),
      // E-06: "authored", not "authoredOn".
      ...(authoredOn !== undefined ? { authored: authoredOn } : {}),
      // E-07: coding one object, not an array.
      ...(isObj(reasonCode)
        ? {
            reasonCode: {
              ...reasonCode,
              coding: Array.isArray(reasonCode.coding) ? (reasonCode.coding[0] as unknown) : reasonCode.coding,
            },
          }
        : {}),
    };
  }
  if (resource.resourceType === 'DocumentReference' && isObj(resource.context)) {
    const related = Array.isArray(resource.context.related) ? resource.context.related : [];
    return {
      ...resource,
      context: {
        ...resource.context,
        // E-09: "references", not "reference".
        related: related.map((r: unknown) => {
          if (!isObj(r)) return r;
          const { reference, ...rest } = r;
          return { ...rest, references: reference };
        }),
      },
    };
  }
  return resource;
}

/** Every bundle of every patient (expected and withheld) with its resources in the schema's shape. */
export function packInSchemaShape(pack: FixturePack): FixturePack {
  const copy = structuredClone(pack);
  for (const p of copy.patients)
    for (const bundles of [p.expected, p.withheld])
      for (const b of Object.values(bundles ?? {}))
        for (const e of b?.entry ?? [])
          if (e.resource) e.resource = toSchemaShape(e.resource as unknown as Obj) as never;
  return copy;
}
