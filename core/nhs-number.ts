/**
 * NHS numbers: validation (format + Modulus 11), synthetic test ranges, deterministic generation
 * and masking. This is the one home for NHS-number logic; everything else imports from here.
 */

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

/** A `patient:identifier` that is not a valid NHS number in any reading: eight digits. */
export const INVALID_IDENTIFIER = `${NHS_NUMBER_SYSTEM}|99900000`;
export const NHS_NUMBER_PATTERN = /^[1-9][0-9]{9}$/;

export type NhsNumberProblem = 'not-a-string' | 'format' | 'check-digit-impossible' | 'check-digit';

export interface NhsNumberVerdict {
  valid: boolean;
  problem?: NhsNumberProblem;
  /** Human-readable explanation, never containing the full number. */
  message?: string;
}

/**
 * Modulus 11 check digit for the first nine digits, or `undefined` when those nine digits cannot
 * form a valid NHS number (the computed digit would be 10).
 */
export function modulus11CheckDigit(firstNine: string): number | undefined {
  if (!/^[0-9]{9}$/.test(firstNine)) throw new Error('modulus11CheckDigit needs exactly nine digits');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine[i]) * (10 - i);
  const digit = 11 - (sum % 11);
  if (digit === 11) return 0;
  if (digit === 10) return undefined;
  return digit;
}

export function checkNhsNumber(value: unknown): NhsNumberVerdict {
  if (typeof value !== 'string')
    return { valid: false, problem: 'not-a-string', message: 'an NHS number must be a string of 10 digits' };
  if (!NHS_NUMBER_PATTERN.test(value)) {
    return {
      valid: false,
      problem: 'format',
      message: 'an NHS number is 10 digits and does not start with 0 (^[1-9][0-9]{9}$)',
    };
  }
  const expected = modulus11CheckDigit(value.slice(0, 9));
  if (expected === undefined) {
    return {
      valid: false,
      problem: 'check-digit-impossible',
      message: 'the first nine digits give a Modulus 11 check digit of 10, so no valid NHS number starts with them',
    };
  }
  if (expected !== Number(value[9])) {
    return {
      valid: false,
      problem: 'check-digit',
      message: `the Modulus 11 check digit is wrong (expected ${expected}, got ${value[9]})`,
    };
  }
  return { valid: true };
}

export function isValidNhsNumber(value: unknown): value is string {
  return checkNhsNumber(value).valid;
}

/** Masks for logs and reports: keeps the first three and last digit, e.g. `999*****18`. */
export function maskNhsNumber(value: string): string {
  if (value.length < 4) return '*'.repeat(value.length);
  return `${value.slice(0, 3)}${'*'.repeat(value.length - 4)}${value.slice(-1)}`;
}

/** A numeric range of NHS numbers reserved for test data, inclusive. */
export interface NhsNumberRange {
  from: string;
  to: string;
  label?: string;
}

/**
 * Numbers starting 9 are never issued to patients; generated packs use the 999 prefix.
 * Configurable in `pca-harness.config.json` (`syntheticRanges`).
 */
export const DEFAULT_SYNTHETIC_RANGES: readonly NhsNumberRange[] = [
  { from: '9000000000', to: '9999999999', label: 'never issued to patients (9xx)' },
];

export function isInRanges(value: string, ranges: readonly NhsNumberRange[]): boolean {
  return ranges.some((r) => value >= r.from && value <= r.to);
}

/** Small, fast, seedable PRNG (mulberry32) so generation is deterministic without global state. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Completes nine digits into a valid NHS number, or undefined when the check digit would be 10. */
export function completeNhsNumber(firstNine: string): string | undefined {
  const d = modulus11CheckDigit(firstNine);
  return d === undefined ? undefined : `${firstNine}${d}`;
}

/**
 * Deterministic, distinct, valid synthetic NHS numbers: `count` numbers with the given prefix
 * (default `999`), in a seeded random order. The same seed always yields the same numbers.
 */
export function generateNhsNumbers(count: number, seed: number, prefix = '999'): string[] {
  if (!/^[1-9][0-9]{0,8}$/.test(prefix))
    throw new Error(`prefix must be 1-9 digits not starting with 0, got "${prefix}"`);
  const freeDigits = 9 - prefix.length;
  const space = 10 ** freeDigits;
  // About 10/11 of nine-digit stems are usable; refuse requests that could not be met.
  if (count > Math.floor(space * 0.9)) throw new Error(`prefix ${prefix} cannot hold ${count} distinct NHS numbers`);
  const rnd = seededRandom(seed);
  const out: string[] = [];
  const seen = new Set<number>();
  while (out.length < count) {
    const stem = Math.floor(rnd() * space);
    if (seen.has(stem)) continue;
    seen.add(stem);
    const n = completeNhsNumber(`${prefix}${String(stem).padStart(freeDigits, '0')}`);
    if (n) out.push(n);
  }
  return out;
}

/** `https://fhir.nhs.uk/Id/nhs-number|9990000018` -> parsed parts, with a reason when unusable. */
export type PatientIdentifierParse =
  | { ok: true; nhsNumber: string }
  | { ok: false; reason: 'missing' | 'system' | 'format' | 'check-digit'; message: string };

export function parsePatientIdentifier(raw: unknown): PatientIdentifierParse {
  if (raw === undefined || raw === null || raw === '') {
    return { ok: false, reason: 'missing', message: 'the patient:identifier query parameter is required' };
  }
  if (typeof raw !== 'string') {
    return { ok: false, reason: 'format', message: 'patient:identifier must be given exactly once' };
  }
  const bar = raw.indexOf('|');
  if (bar < 0 || raw.slice(0, bar) !== NHS_NUMBER_SYSTEM) {
    return { ok: false, reason: 'system', message: `patient:identifier must be "${NHS_NUMBER_SYSTEM}|<NHS number>"` };
  }
  const value = raw.slice(bar + 1);
  const verdict = checkNhsNumber(value);
  if (!verdict.valid) {
    return {
      ok: false,
      reason: verdict.problem === 'format' || verdict.problem === 'not-a-string' ? 'format' : 'check-digit',
      message: `patient:identifier NHS number is invalid: ${verdict.message}`,
    };
  }
  return { ok: true, nhsNumber: value };
}

export function patientIdentifierParam(nhsNumber: string): string {
  return `${NHS_NUMBER_SYSTEM}|${nhsNumber}`;
}
