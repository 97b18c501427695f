/**
 * Small helpers the contract tests share: deep copies to mutate, and verdicts reduced to the
 * `pointer rule` pairs the tests assert exactly.
 */
import type { SchemaVerdict } from '../core/schema';
import type { ReadingNote } from './readings';
import type { SchemaKind } from './schemas';
import { URLS } from './schemas/common';
import { SPEC_FILES, loadSpecExamples, readExampleFile } from './spec-examples';

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** `["/entry/0/resource/status required", ...]`, sorted, so a test can assert the exact set. */
export function failures(v: SchemaVerdict): string[] {
  return v.diagnostics.map((d) => `${d.pointer} ${d.rule}`).sort();
}

/** `["/entry/0/resource/authored E-06", ...]`, sorted: the readings of a contradicting spec a payload took. */
export function warned(v: { warnings?: ReadingNote[] }): string[] {
  return (v.warnings ?? []).map((w) => `${w.pointer} ${w.erratum}`).sort();
}

/** Sets a value at a JSON pointer (creating nothing: the parent must exist). `undefined` deletes. */
export function setAt(doc: unknown, pointer: string, value: unknown): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) throw new Error('cannot replace the root');
  let node = doc as Record<string, unknown>;
  for (const p of parts) {
    const next = node[p];
    if (typeof next !== 'object' || next === null) throw new Error(`nothing at ${pointer} (stopped at "${p}")`);
    node = next as Record<string, unknown>;
  }
  if (!(last in node) && value === undefined) throw new Error(`nothing to delete at ${pointer}`);
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
}

/** A copy of `doc` with one change at `pointer`. */
export function mutated<T>(doc: T, pointer: string, value: unknown): T {
  const copy = clone(doc);
  setAt(copy, pointer, value);
  return copy;
}

/** A JSON object; tests cast it to their own loose type to poke into it. */
export type JsonObject = Record<string, unknown>;
type Loose = Record<string, any>; // local only: the spec's examples are free-form JSON

/**
 * One valid payload per kind, made from the spec's own examples with only the errata repairs
 * applied (specialty, a valid NHS number), so every mutation test starts from the spec's shape.
 */
export function validBases(): Record<SchemaKind, JsonObject> {
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
