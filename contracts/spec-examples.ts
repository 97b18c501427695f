/**
 * Reads the official specification's example payloads where they live (never copied into this
 * repository): the JSON files in `examples/` and the `components.examples` of each OpenAPI file,
 * with their `$ref`s to other examples resolved. Used by the tests that pin docs/spec-errata.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const SPEC_FILES = {
  producer: 'patient-care-aggregator-api-producer-api-standards.yaml',
  recordService: 'patient-care-aggregator-api-record-service-api.yaml',
  consumer: 'patient-care-aggregator-api-consumer-api.yaml',
} as const;

/** `PCA_SPEC_DIR`, else the team's shared reference copy beside the repository. */
export function specDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.PCA_SPEC_DIR ?? path.resolve(__dirname, '..', '..', 'shared', 'reference', 'pca-spec');
  if (!existsSync(path.join(dir, SPEC_FILES.producer))) {
    throw new Error(
      `the PCA specification is not at ${dir}; set PCA_SPEC_DIR to the folder holding ${SPEC_FILES.producer}`,
    );
  }
  return dir;
}

/** One of the JSON files in the spec's `examples/` folder, parsed. */
export function readExampleFile(name: string, dir = specDir()): unknown {
  return JSON.parse(readFileSync(path.join(dir, 'examples', name), 'utf8')) as unknown;
}

function resolveRefs(examples: Record<string, { value?: unknown }>, node: unknown, depth = 0): unknown {
  if (depth > 50) throw new Error('example $refs nest too deeply (a cycle?)');
  if (Array.isArray(node)) return node.map((n) => resolveRefs(examples, n, depth + 1));
  if (typeof node === 'object' && node !== null) {
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/examples/')) {
      const target = examples[ref.slice('#/components/examples/'.length)];
      if (!target) throw new Error(`example $ref ${ref} points nowhere`);
      return resolveRefs(examples, target.value, depth + 1);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(examples, v, depth + 1)]));
  }
  return node;
}

/** Every `components.examples` value of one spec file, by example name, `$ref`s resolved. */
export function loadSpecExamples(specFile: string, dir = specDir()): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(dir, specFile), 'utf8')) as {
    components?: { examples?: Record<string, { value?: unknown }> };
  };
  const examples = doc.components?.examples ?? {};
  return Object.fromEntries(Object.entries(examples).map(([name, ex]) => [name, resolveRefs(examples, ex.value)]));
}
