/**
 * Validates payloads against the contract schemas (contracts/schemas). ajv stays behind
 * core/schema.ts; this layer picks the schema for a payload kind, reads files, and makes NHS-number
 * failures say exactly what is wrong without repeating the number.
 */
import { readFileSync } from 'node:fs';
import type { ProducerResourceType } from '../core/fhir';
import { checkNhsNumber } from '../core/nhs-number';
import { type SchemaDiagnostic, type SchemaVerdict, validateAgainst } from '../core/schema';
import { type JsonSyntaxError, parseJson } from './json-position';
import { SCHEMA_KINDS, type SchemaKind, isSchemaKind } from './schemas';
import { appointmentSchema, documentReferenceSchema, taskSchema } from './schemas/producer';
import { RESOURCE_KEYS } from '../core/resource-types';

export type { SchemaDiagnostic, SchemaVerdict } from '../core/schema';
export type { SchemaKind } from './schemas';
export { SCHEMA_KINDS, SCHEMA_KIND_NAMES, bundleTotalMatches, isSchemaKind } from './schemas';

/** The payload kind of each producer endpoint's 200 body. */
export const PRODUCER_BUNDLE_KIND: Readonly<Record<ProducerResourceType, SchemaKind>> = RESOURCE_KEYS;

const PRODUCER_RESOURCE_SCHEMA = {
  Appointment: appointmentSchema,
  DocumentReference: documentReferenceSchema,
  Task: taskSchema,
} as const;

function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** `must be a valid nhs-number` -> which check failed (check digit wrong, or impossible), number masked. */
function refine(data: unknown, diagnostics: SchemaDiagnostic[]): SchemaDiagnostic[] {
  return diagnostics.map((d) => {
    if (d.rule !== 'format' || !d.schemaPath.endsWith('/format') || !d.message.endsWith('nhs-number')) return d;
    const verdict = checkNhsNumber(valueAt(data, d.pointer));
    return verdict.valid ? d : { ...d, message: `is not a valid NHS number: ${verdict.message ?? verdict.problem}` };
  });
}

function verdictFor(schema: object, data: unknown): SchemaVerdict {
  const v = validateAgainst(schema, data);
  return v.valid ? v : { valid: false, diagnostics: refine(data, v.diagnostics) };
}

/**
 * Validates one payload of a known kind (`appointments`, `documents`, `tasks`, `records-request`,
 * `events`, ...; SCHEMA_KIND_NAMES lists them). Throws only for a kind that does not exist.
 *
 * @example
 * ```ts
 * import { validatePayload } from 'pca-harness';
 * const v = validatePayload('appointments', JSON.parse(body));
 * if (!v.valid) console.log(v.diagnostics.map((d) => `${d.pointer}: ${d.message}`));
 * ```
 */
export function validatePayload(kind: SchemaKind, data: unknown): SchemaVerdict {
  if (!isSchemaKind(kind)) throw new Error(`unknown payload kind "${String(kind)}"`);
  return verdictFor(SCHEMA_KINDS[kind].schema, data);
}

/**
 * A supplier's 200 body for `GET /Appointment`, `/DocumentReference` or `/Task`: a searchset Bundle
 * whose entries are all of that resource type. Pointers are from the Bundle root.
 */
export function validateProducerBundle(resourceType: ProducerResourceType, bundle: unknown): SchemaVerdict {
  const kind = PRODUCER_BUNDLE_KIND[resourceType];
  if (!kind) throw new Error(`not a producer resource type: "${String(resourceType)}"`);
  return validatePayload(kind, bundle);
}

/** One Appointment, DocumentReference or Task on its own (pointers from the resource root). */
export function validateProducerResource(resourceType: ProducerResourceType, resource: unknown): SchemaVerdict {
  const schema = PRODUCER_RESOURCE_SCHEMA[resourceType];
  if (!schema) throw new Error(`not a producer resource type: "${String(resourceType)}"`);
  return verdictFor(schema, resource);
}

export interface FileVerdict {
  file: string;
  kind: SchemaKind;
  valid: boolean;
  /** Schema failures, or the one `json` diagnostic when the file is not JSON. */
  diagnostics: SchemaDiagnostic[];
  /** Set when the file could not be parsed; the JSON pointer is then meaningless. */
  parseError?: JsonSyntaxError;
}

/** Validates JSON text (e.g. a response body) of a kind; `label` names it in the verdict. */
export function validateJsonText(kind: SchemaKind, text: string, label: string): FileVerdict {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    return {
      file: label,
      kind,
      valid: false,
      diagnostics: [
        {
          pointer: '',
          rule: 'json',
          message: `not valid JSON at line ${line}, column ${column}: ${message}`,
          schemaPath: '',
        },
      ],
      parseError: parsed.error,
    };
  }
  const v = validatePayload(kind, parsed.value);
  return { file: label, kind, valid: v.valid, diagnostics: v.diagnostics };
}

/**
 * Reads and validates one file. A file that cannot be read is the caller's problem (it throws the
 * fs error); a file that is not JSON is an invalid payload with a located `json` diagnostic.
 */
export function validateFile(kind: SchemaKind, file: string): FileVerdict {
  return validateJsonText(kind, readFileSync(file, 'utf8'), file);
}
