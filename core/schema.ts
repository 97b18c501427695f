/**
 * The one place ajv lives. Schemas are compiled once and cached; callers get the project's own
 * diagnostics (JSON pointer, rule, message), never raw ajv errors.
 */
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { checkNhsNumber } from './nhs-number';

export interface SchemaDiagnostic {
  /** JSON pointer to the offending value, `` for the document root. */
  pointer: string;
  /** The JSON Schema keyword broken (`required`, `enum`, `format`, ...). */
  rule: string;
  message: string;
  /** Where the rule lives in the schema, for people maintaining schemas. */
  schemaPath: string;
}

export type SchemaVerdict = { valid: true; diagnostics: [] } | { valid: false; diagnostics: SchemaDiagnostic[] };

const FHIR_DATE_TIME = /^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
const FHIR_DATE = /^([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$/;

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('nhs-number', { type: 'string', validate: (s: string) => checkNhsNumber(s).valid });
  // FHIR instants require a zone; ajv-formats' date-time does too, but FHIR also bounds the offset.
  ajv.addFormat('fhir-instant', { type: 'string', validate: (s: string) => FHIR_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('fhir-date', { type: 'string', validate: (s: string) => FHIR_DATE.test(s) });
  return ajv;
}

let shared: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function ajvInstance(): Ajv {
  shared ??= createAjv();
  return shared;
}

function compile(schema: AnySchema): ValidateFunction {
  if (typeof schema !== 'object') throw new Error('boolean schemas are not supported');
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajvInstance().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

export function describeError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': return `missing required property "${String(p.missingProperty)}"`;
    case 'enum': return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'format': return `must be a valid ${String(p.format)}`;
    case 'pattern': return `must match the pattern ${String(p.pattern)}`;
    case 'additionalProperties': return `unexpected property "${String(p.additionalProperty)}"`;
    case 'type': return `must be of type ${String(p.type)}`;
    case 'minItems': return `must have at least ${String(p.limit)} item(s)`;
    case 'maxItems': return `must have at most ${String(p.limit)} item(s)`;
    default: return e.message ?? e.keyword;
  }
}

function toDiagnostic(e: ErrorObject): SchemaDiagnostic {
  const pointer = e.keyword === 'required' ? `${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}` : e.instancePath;
  return { pointer, rule: e.keyword, message: describeError(e), schemaPath: e.schemaPath };
}

/**
 * anyOf/oneOf produce an error per failed branch plus the combinator's own error; people need the
 * branch errors that are deepest (closest to the real problem), so the combinator noise is dropped
 * when deeper errors exist at or below its path.
 */
function prune(errors: ErrorObject[]): ErrorObject[] {
  const combinators = new Set(['anyOf', 'oneOf', 'if']);
  const deep = errors.filter((e) => !combinators.has(e.keyword));
  const kept = errors.filter((e) => !combinators.has(e.keyword) || !deep.some((d) => d.instancePath.startsWith(e.instancePath)));
  const seen = new Set<string>();
  return kept.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function validateAgainst(schema: AnySchema, data: unknown): SchemaVerdict {
  const fn = compile(schema);
  if (fn(data)) return { valid: true, diagnostics: [] };
  return { valid: false, diagnostics: prune(fn.errors ?? []).map(toDiagnostic) };
}

/** Pre-compiles (and so checks) a schema; throws with ajv's message when the schema itself is broken. */
export function compileSchema(schema: AnySchema): void {
  compile(schema);
}

export function formatDiagnostic(d: SchemaDiagnostic): string {
  return `${d.pointer || '/'}: ${d.message} [${d.rule}]`;
}
