/**
 * The EVA comparator: what the pack says a supplier must return for a patient (expected) against
 * what the supplier returned (actual), compared the way FHIR means it rather than byte by byte.
 * Matching rules, path notation and ignore rules are documented in docs/eva.md.
 *
 * Shaped for `replay`, which feeds it one response at a time: `comparePatientResponse` per patient
 * and resource type, `EvaTally` to keep totals as verdicts arrive. The parts live by concern:
 * options.ts (ignore rules), values.ts (equality and hashing), fhir-keys.ts (element keys and
 * labels), messages.ts, differ.ts (the diff), verdict.ts and tally.ts; this module is their face.
 */
import type { Bundle } from '../../core/fhir';
import { maskNhsNumber } from '../../core/nhs-number';
import { redact } from '../../core/redact';
import { type ReadingNote, readProducerBundle } from '../../contracts/readings';
import { compareBundles } from './differ';
import { describeBody } from './messages';
import type { CompareOptions, CompiledCompareOptions } from './options';
import { isObject } from './values';
import type { EvaOutcome, PatientResponse, PatientVerdict } from './verdict';

export { IgnoreRuleError } from './rules';
export { compareBundles, DIFFERENCE_KINDS, type Difference, type DifferenceKind } from './differ';
export { elementKey, entryLabel } from './fhir-keys';
export { describeBody, excerpt } from './messages';
export { compileCompareOptions, DEFAULT_IGNORE, type CompareOptions, type CompiledCompareOptions } from './options';
export { EvaTally, summarise, type EvaTotals, type VerdictCounts } from './tally';
export { deepEqual, instantKey } from './values';
export { EVA_OUTCOMES, type EvaOutcome, type PatientResponse, type PatientVerdict } from './verdict';

const readingKey = (n: ReadingNote): string => `${n.erratum}|${n.title}`;

export function comparePatientResponse(
  r: PatientResponse,
  opts?: CompareOptions | CompiledCompareOptions,
): PatientVerdict {
  const base: PatientVerdict = {
    nhsNumberMasked: maskNhsNumber(r.nhsNumber),
    resourceType: r.resourceType,
    verdict: 'match',
    ...(r.status !== undefined ? { status: r.status } : {}),
    differences: [],
    ...(r.patientIndex !== undefined ? { patientIndex: r.patientIndex } : {}),
    ...(r.scenario !== undefined ? { scenario: r.scenario } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
  };
  const fail = (message: string, actual?: unknown): PatientVerdict => ({
    ...base,
    verdict: 'error',
    differences: redact([{ kind: 'not-a-bundle', path: '/', ...(actual !== undefined ? { actual } : {}), message }]),
  });
  if (r.status === undefined) return fail(`no response: ${r.error ?? 'the request did not complete'}`);
  let body = r.body;
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Kept as text: describeBody says it is not JSON.
    }
  }
  if (r.status !== 200)
    return fail(
      `HTTP ${r.status} (expected 200 with a Bundle): the body is ${describeBody(body)}`,
      isObject(body) ? body : undefined,
    );
  // Both sides in one reading of the spec, so a shape the spec supports is not a difference; the
  // readings the supplier took and the pack did not are the warnings.
  const read = readProducerBundle(body);
  const expected = readProducerBundle(r.expected);
  const packTook = new Set(expected.notes.map(readingKey));
  const notes = read.notes.filter((n) => !packTook.has(readingKey(n)));
  const warnings = notes.length ? { warnings: redact(notes) } : {};
  const differences = compareBundles(expected.value as Bundle | undefined, read.value, opts);
  if (differences.length === 0) return notes.length ? { ...base, verdict: 'warn', ...warnings } : base;
  const verdict: EvaOutcome = differences.some((d) => d.kind === 'not-a-bundle') ? 'error' : 'mismatch';
  return { ...base, verdict, differences: redact(differences), ...warnings };
}
