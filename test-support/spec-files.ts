/**
 * The official specification's files, for `npm run test:upstream` only: read where they live
 * (`PCA_SPEC_DIR`), never copied into this repository, and never needed by `npm test`. The JSON
 * files in `examples/` and the `components.examples` of each OpenAPI file, with their `$ref`s to
 * other examples resolved.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { SchemaKind } from '../contracts/schemas';
import { URLS } from '../contracts/schemas/common';
import type { JsonObject } from '../contracts/test-helpers';

export const SPEC_FILES = {
  producer: 'patient-care-aggregator-api-producer-api-standards.yaml',
  recordService: 'patient-care-aggregator-api-record-service-api.yaml',
  consumer: 'patient-care-aggregator-api-consumer-api.yaml',
} as const;

/**
 * Where the specification is: `PCA_SPEC_DIR`, which must hold the three OpenAPI files (and their
 * `examples/`). Throws a message that says what to set when it is unset or points elsewhere.
 */
export function specDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.PCA_SPEC_DIR;
  const wanted = Object.values(SPEC_FILES);
  if (!dir) {
    throw new Error(
      `PCA_SPEC_DIR is not set. The upstream tests cross-check this project against the official PCA specification ` +
        `files; set PCA_SPEC_DIR to the folder holding ${wanted.join(', ')} and examples/ ` +
        `(on the team's machines: PCA_SPEC_DIR=../shared/reference/pca-spec npm run test:upstream).`,
    );
  }
  const missing = [...wanted, 'examples/'].filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `PCA_SPEC_DIR=${dir} does not hold the PCA specification: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing there.`,
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

type Loose = Record<string, any>; // local only: the spec's examples are free-form JSON

/**
 * The specification's own example of each kind, with only the errata repairs applied (a specialty,
 * valid NHS numbers, the consumer example's `valuationDuration` typo): the upstream twin of
 * contracts/test-helpers `validBases()`, whose payloads are shaped like these.
 */
export function specBases(): Record<SchemaKind, JsonObject> {
  const appointments = readExampleFile('GetAppointmentResponseHappyPath.json') as Loose;
  appointments.entry[0].resource.specialty = [
    { coding: [{ system: URLS.specialty, code: '330', display: 'Dermatology' }] },
  ];
  const documents = readExampleFile('GetDocumentReferencesResponseHappyPath.json') as Loose;
  documents.entry[0].resource.subject.identifier.value = '9000000009';
  const tasks = readExampleFile('GetTasksResponseHappyPath.json') as Loose;
  tasks.entry[0].resource.for.identifier.value = '9000000009';
  const request = readExampleFile('RecordServiceSendPatientListRequest.json') as Loose;
  request.nhsNumbers[1] = '9990000018';
  const producer = loadSpecExamples(SPEC_FILES.producer);
  const consumer = loadSpecExamples(SPEC_FILES.consumer);
  return {
    appointments,
    documents,
    tasks,
    'operation-outcome': producer.under16 as Loose,
    'records-request': request,
    'records-success': readExampleFile('RecordServiceSendPatientListResponseHappyPath.json') as Loose,
    'records-error': readExampleFile('RecordServiceSendPatientListResponseError.json') as Loose,
    'aggregator-bundle': repairedOneOrMoreErrors(consumer.oneOrMoreErrors as Loose),
  };
}

/** The consumer's 207 example (two CarePlans and an OperationOutcome) with its `valuationDuration` typo fixed (E-24). */
function repairedOneOrMoreErrors(b: Loose): Loose {
  const ext = b.entry[0].resource.period.extension[1];
  ext.valueDuration = ext.valuationDuration;
  delete ext.valuationDuration;
  return b;
}
