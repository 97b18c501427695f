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
  /** How to fix it, when the schema node that failed carries an `x-hint`. */
  hint?: string;
}

export type SchemaVerdict = { valid: true; diagnostics: [] } | { valid: false; diagnostics: SchemaDiagnostic[] };

const FHIR_DATE_TIME =
  /^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
const FHIR_DATE = /^([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$/;

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('nhs-number', { type: 'string', validate: (s: string) => checkNhsNumber(s).valid });
  // FHIR instants require a zone; ajv-formats' date-time does too, but FHIR also bounds the offset.
  ajv.addFormat('fhir-instant', {
    type: 'string',
    validate: (s: string) => FHIR_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat('fhir-date', { type: 'string', validate: (s: string) => FHIR_DATE.test(s) });
  // FHIR dateTime: a (partial) date, or a full date-time with a zone.
  ajv.addFormat('fhir-datetime', {
    type: 'string',
    validate: (s: string) => FHIR_DATE.test(s) || (FHIR_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))),
  });
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
    case 'required':
      return `missing required property "${String(p.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'format':
      return `must be a valid ${String(p.format)}`;
    case 'pattern':
      return `must match the pattern ${String(p.pattern)}`;
    case 'additionalProperties':
      return `unexpected property "${String(p.additionalProperty)}"`;
    case 'type':
      return `must be of type ${String(p.type)}`;
    case 'minItems':
      return `must have at least ${String(p.limit)} item(s)`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} item(s)`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * The schema node holding the keyword that failed. Such a node may carry `x-hint` (how to fix a
 * failure of its own keywords) and `x-message` (what a failure means, in place of the generic text);
 * ajv ignores unknown keywords in non-strict mode. Local schema paths only.
 */
function nodeAt(root: object, schemaPath: string): Record<string, unknown> | undefined {
  const parts = schemaPath
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  parts.pop();
  let node: unknown = root;
  for (const p of parts) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

function toDiagnostic(e: ErrorObject, root: object): SchemaDiagnostic {
  const pointer =
    e.keyword === 'required'
      ? `${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}`
      : e.instancePath;
  const node = nodeAt(root, e.schemaPath);
  const hint = typeof node?.['x-hint'] === 'string' ? node['x-hint'] : undefined;
  // `contains`, `not` and `if` failures say nothing useful on their own; the schema can say what was meant.
  const message = typeof node?.['x-message'] === 'string' ? node['x-message'] : describeError(e);
  return { pointer, rule: e.keyword, message, schemaPath: e.schemaPath, ...(hint ? { hint } : {}) };
}

/**
 * anyOf/oneOf produce an error per failed branch plus the combinator's own error; people need the
 * branch errors that are deepest (closest to the real problem), so the combinator noise is dropped
 * when deeper errors exist at or below its path.
 */
function prune(all: ErrorObject[]): ErrorObject[] {
  // ajv reports every item that failed a `contains` probe; only the `contains` error itself is news.
  const errors = all.filter((e) => !e.schemaPath.includes('/contains/'));
  const combinators = new Set(['anyOf', 'oneOf', 'if']);
  const deep = errors.filter((e) => !combinators.has(e.keyword));
  const kept = errors.filter(
    (e) => !combinators.has(e.keyword) || !deep.some((d) => d.instancePath.startsWith(e.instancePath)),
  );
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
  return { valid: false, diagnostics: prune(fn.errors ?? []).map((e) => toDiagnostic(e, schema as object)) };
}

/** Pre-compiles (and so checks) a schema; throws with ajv's message when the schema itself is broken. */
export function compileSchema(schema: AnySchema): void {
  compile(schema);
}

export function formatDiagnostic(d: SchemaDiagnostic): string {
  return `${d.pointer || '/'}: ${d.message} [${d.rule}]${d.hint ? ` (${d.hint})` : ''}`;
}
