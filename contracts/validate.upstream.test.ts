/**
 * Upstream twin of validate.test.ts: the specification's own examples (errata repairs applied) are
 * valid, and every mutation of the shared table fails on them exactly as it fails on our own bases.
 * That holds our fixture-built bases to the specification's shapes.
 */
import { specBases } from '../test-support/spec-files';
import { MUTATIONS, failures, mutated, validBases } from './test-helpers';
import { SCHEMA_KIND_NAMES, validatePayload } from './validate';

const spec = specBases();
const ours = validBases();

describe("the specification's examples as base payloads", () => {
  it.each(SCHEMA_KIND_NAMES)('the repaired example for %s is valid', (kind) => {
    expect(validatePayload(kind, spec[kind])).toEqual({ valid: true, diagnostics: [] });
  });

  it.each(MUTATIONS)('%s: %s fails the same on the example as on our base', (kind, _what, pointer, value, expected) => {
    expect(failures(validatePayload(kind, mutated(spec[kind], pointer, value)))).toEqual(expected);
    expect(failures(validatePayload(kind, mutated(ours[kind], pointer, value)))).toEqual(expected);
  });
});
