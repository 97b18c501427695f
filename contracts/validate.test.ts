/**
 * The validate library: each kind's schema catches a removed required field, a changed enum value,
 * a bad NHS number and a malformed date-time at the right JSON pointer; files and JSON text are read
 * with located parse errors; the producer-bundle API the aggregator and fixtures use.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileSchema, formatDiagnostic } from '../core/schema';
import { findJsonSyntaxError, parseJson } from './json-position';
import { MUTATIONS, failures, mutated, validBases } from './test-helpers';
import {
  PRODUCER_BUNDLE_KIND,
  SCHEMA_KINDS,
  SCHEMA_KIND_NAMES,
  type SchemaKind,
  bundleTotalMatches,
  isSchemaKind,
  validateFile,
  validateJsonText,
  validatePayload,
  validateProducerBundle,
  validateProducerResource,
} from './validate';

// Test payloads are free-form JSON that these tests poke into.
type Json = Record<string, any>;

const bases = validBases();

describe('the registry', () => {
  it('lists the eight kinds, each with a compilable schema, a title and its source in a spec file', () => {
    expect(SCHEMA_KIND_NAMES).toEqual([
      'appointments',
      'documents',
      'tasks',
      'operation-outcome',
      'records-request',
      'records-success',
      'records-error',
      'aggregator-bundle',
    ]);
    for (const k of SCHEMA_KIND_NAMES) {
      expect(() => compileSchema(SCHEMA_KINDS[k].schema)).not.toThrow();
      expect(SCHEMA_KINDS[k].title).not.toBe('');
      expect(SCHEMA_KINDS[k].source).toMatch(
        /^patient-care-aggregator-api-(producer-api-standards|record-service-api|consumer-api)\.yaml #\//,
      );
    }
  });

  it('knows its kinds and nothing else', () => {
    expect(isSchemaKind('tasks')).toBe(true);
    expect(isSchemaKind('task')).toBe(false);
    expect(isSchemaKind('toString')).toBe(false);
    expect(() => validatePayload('nonsense' as SchemaKind, {})).toThrow(/unknown payload kind "nonsense"/);
  });

  it.each(SCHEMA_KIND_NAMES)('the base payload for %s is valid (so each mutation below is the only fault)', (kind) => {
    expect(validatePayload(kind, bases[kind])).toEqual({ valid: true, diagnostics: [] });
  });
});

describe('mutations fail at the right pointer with the right rule', () => {
  it.each(MUTATIONS)('%s: %s', (kind, _what, pointer, value, expected) => {
    const v = validatePayload(kind, mutated(bases[kind], pointer, value));
    expect(v.valid).toBe(false);
    expect(failures(v)).toEqual(expected);
  });

  it('a bad check digit is explained without the number, a bad shape by the pattern', () => {
    const digit = validatePayload('records-request', mutated(bases['records-request'], '/nhsNumbers/0', '9000000018'));
    expect(digit.diagnostics[0].message).toBe(
      'is not a valid NHS number: the Modulus 11 check digit is wrong (expected 7, got 8)',
    );
    expect(JSON.stringify(digit)).not.toContain('9000000018');
    const impossible = validatePayload(
      'records-request',
      mutated(bases['records-request'], '/nhsNumbers/0', '9990000005'),
    );
    expect(impossible.diagnostics[0].message).toMatch(/no valid NHS number starts with them/);
    const shape = validatePayload('records-request', mutated(bases['records-request'], '/nhsNumbers/1', 'abc'));
    expect(shape.diagnostics).toEqual([
      expect.objectContaining({
        message: 'must match the pattern ^[1-9][0-9]{9}$',
        hint: expect.stringMatching(/10 digits/),
      }),
    ]);
  });

  it('a FHIR dateTime may be a date or a full date-time with a zone', () => {
    for (const start of ['2022', '2022-06', '2022-06-22', '2022-06-22T09:00:00+01:00']) {
      expect(
        validatePayload(
          'aggregator-bundle',
          mutated(bases['aggregator-bundle'], '/entry/0/resource/period/start', start),
        ).valid,
      ).toBe(true);
    }
    expect(
      validatePayload(
        'aggregator-bundle',
        mutated(bases['aggregator-bundle'], '/entry/0/resource/period/start', '2022-06-22T09:00'),
      ).valid,
    ).toBe(false);
  });

  it('formats a diagnostic on one line with its hint', () => {
    const v = validatePayload('tasks', mutated(bases.tasks, '/entry/0/resource/authoredOn', undefined));
    expect(formatDiagnostic(v.diagnostics[0])).toMatch(
      /^\/entry\/0\/resource\/authoredOn: missing required property "authoredOn" \[required\] \(the date the questionnaire .*E-06\)\)$/,
    );
  });

  it('collects every fault in one pass', () => {
    const b = mutated(bases.tasks, '/entry/0/resource/status', 'draft');
    const v = validatePayload('tasks', mutated(b, '/entry/0/resource/for/identifier/value', '9000000018'));
    expect(failures(v)).toEqual(['/entry/0/resource/for/identifier/value format', '/entry/0/resource/status enum']);
  });

  it('rejects what is not an object at all', () => {
    expect(failures(validatePayload('appointments', []))).toEqual([' type']);
    expect(failures(validatePayload('records-request', null))).toEqual([' type']);
  });
});

describe('validateProducerBundle / validateProducerResource', () => {
  it('maps each producer resource type to its bundle kind', () => {
    expect(PRODUCER_BUNDLE_KIND).toEqual({
      Appointment: 'appointments',
      DocumentReference: 'documents',
      Task: 'tasks',
    });
  });

  it("validates a bundle by the endpoint's resource type", () => {
    expect(validateProducerBundle('Appointment', bases.appointments).valid).toBe(true);
    expect(validateProducerBundle('DocumentReference', bases.documents).valid).toBe(true);
    expect(validateProducerBundle('Task', bases.tasks).valid).toBe(true);
    expect(failures(validateProducerBundle('Task', bases.documents))).toEqual(['/entry/0/resource/resourceType const']);
  });

  it('accepts the empty answer with or without an entry array', () => {
    expect(validateProducerBundle('Appointment', { resourceType: 'Bundle', type: 'searchset', total: 0 }).valid).toBe(
      true,
    );
    expect(
      validateProducerBundle('Task', { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }).valid,
    ).toBe(true);
  });

  it('validates one resource with pointers from the resource root', () => {
    const appointment = (bases.appointments as Json).entry[0].resource;
    expect(validateProducerResource('Appointment', appointment)).toEqual({ valid: true, diagnostics: [] });
    expect(failures(validateProducerResource('Appointment', mutated(appointment, '/status', 'waitlist')))).toEqual([
      '/status enum',
    ]);
    expect(failures(validateProducerResource('DocumentReference', appointment))).toContain('/resourceType const');
  });

  it('refuses a resource type the producer standard does not define', () => {
    expect(() => validateProducerBundle('CarePlan' as 'Task', {})).toThrow(/not a producer resource type/);
  });
});

describe('bundleTotalMatches', () => {
  it.each([
    [{ total: 0 }, true],
    [{ total: 0, entry: [] }, true],
    [{ total: 2, entry: [{}, {}] }, true],
    [{ total: 1, entry: [] }, false],
    [{ total: 0, entry: [{}] }, false],
    [{ entry: [] }, false],
    [{ total: '0' }, false],
    [{ total: 1.5, entry: [{}] }, false],
    [{ total: 1, entry: {} }, false],
    [null, false],
    ['bundle', false],
  ])('%j -> %s', (bundle, expected) => {
    expect(bundleTotalMatches(bundle)).toBe(expected);
  });

  it('holds for the base bundles of every bundle kind', () => {
    for (const k of ['appointments', 'documents', 'tasks', 'aggregator-bundle'] as const)
      expect(bundleTotalMatches(bases[k])).toBe(true);
  });
});

describe('JSON text and files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pca-validate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validates a file and names it in the verdict', () => {
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(bases.tasks, null, 2));
    expect(validateFile('tasks', file)).toEqual({ file, kind: 'tasks', valid: true, diagnostics: [] });
  });

  it('reports malformed JSON as one located json diagnostic, never echoing the content', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{\n  "clientId": "pep-01",\n  "nhsNumbers": ["9000000009",]\n}\n');
    const v = validateFile('records-request', file);
    expect(v.valid).toBe(false);
    expect(v.parseError).toEqual({ message: "trailing comma before ']'", offset: 56, line: 3, column: 31 });
    expect(v.diagnostics).toEqual([
      {
        pointer: '',
        rule: 'json',
        message: "not valid JSON at line 3, column 31: trailing comma before ']'",
        schemaPath: '',
      },
    ]);
    expect(JSON.stringify(v)).not.toContain('9000000009');
  });

  it('throws the fs error for a file that does not exist (the CLI turns it into a usage error first)', () => {
    expect(() => validateFile('tasks', path.join(dir, 'missing.json'))).toThrow(/ENOENT/);
  });

  it('tolerates a byte-order mark', () => {
    expect(validateJsonText('records-success', '\ufeff{"result":"success"}', 'bom.json').valid).toBe(true);
  });
});

describe('locating JSON syntax errors', () => {
  it.each([
    ['', 1, 1, 'unexpected end of input: a value is missing'],
    ['{"a": }', 1, 7, "expected a value but found '}'"],
    ['{"a": 1,}', 1, 9, "trailing comma before '}'"],
    ['{"a": 1 "b": 2}', 1, 9, "expected ',' or '}' after a property value but found '\"'"],
    [
      "{'a': 1}",
      1,
      2,
      'expected a property name in double quotes but found a single quote (JSON strings use double quotes)',
    ],
    ['{"a" 1}', 1, 6, "expected ':' after a property name but found a digit"],
    ['[1, 2', 1, 6, "expected ',' or ']' after an array item but found the end of the input"],
    ['{"a": "x\ny"}', 1, 9, 'control character in a string (escape it, e.g. \\n)'],
    ['{"a": "\\q"}', 1, 8, 'invalid escape in a string'],
    ['{"a": tru}', 1, 7, 'unexpected a letter'],
    ['{"a": 01}', 1, 8, "expected ',' or '}' after a property value but found a digit"],
    ['{}\n{}', 2, 1, "unexpected '{' after the end of the JSON value"],
    ['{"a": "open', 1, 12, 'unterminated string'],
  ])('%j -> line %d, column %d: %s', (text, line, column, message) => {
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column, message });
    expect(parseJson(text).ok).toBe(false);
  });

  it('finds nothing wrong in valid JSON, including escapes and numbers', () => {
    const text = '{"a": [1, -2.5e3, 0, true, false, null], "b": "q\\"\\u00e9\\n", "c": {}}';
    expect(findJsonSyntaxError(text)).toBeUndefined();
    expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });
});
