import {
  checkNhsNumber,
  completeNhsNumber,
  generateNhsNumbers,
  isInRanges,
  isValidNhsNumber,
  maskNhsNumber,
  modulus11CheckDigit,
  parsePatientIdentifier,
  DEFAULT_SYNTHETIC_RANGES,
} from './nhs-number';

describe('NHS number validation (Modulus 11)', () => {
  it.each([['9990000018'], ['9990000026'], ['9990000050'], ['9990000131'], ['9000000009']])('accepts %s', (n) => {
    expect(checkNhsNumber(n)).toEqual({ valid: true });
  });

  it.each([
    ['9990000010', 'check-digit'],
    ['9000000018', 'check-digit'], // the Record Service spec's own example
    ['9912003072', 'check-digit'], // the PCA repository's mock ID token
    ['4447685222', 'check-digit'], // the NHS login EIS example
    ['9990000005', 'check-digit-impossible'], // remainder 1 -> 10: no valid number has this stem
    ['999000001', 'format'],
    ['0990000018', 'format'],
    ['99900000189', 'format'],
    ['999000001a', 'format'],
    [' 9990000018', 'format'],
  ])('rejects %s (%s)', (n, problem) => {
    const v = checkNhsNumber(n);
    expect(v.valid).toBe(false);
    expect(v.problem).toBe(problem);
    expect(v.message).not.toContain(n);
  });

  it('rejects non-strings', () => {
    expect(checkNhsNumber(9990000018)).toMatchObject({ valid: false, problem: 'not-a-string' });
    expect(isValidNhsNumber(undefined)).toBe(false);
  });

  it('maps a computed 11 to check digit 0 and a computed 10 to no digit', () => {
    expect(modulus11CheckDigit('999000005')).toBe(0);
    expect(modulus11CheckDigit('999000000')).toBeUndefined();
    expect(completeNhsNumber('999000013')).toBe('9990000131');
  });
});

describe('synthetic ranges', () => {
  it('treats every 9xx number as synthetic by default and others not', () => {
    expect(isInRanges('9990000018', DEFAULT_SYNTHETIC_RANGES)).toBe(true);
    expect(isInRanges('4010232137', DEFAULT_SYNTHETIC_RANGES)).toBe(false);
    expect(isInRanges('9000000009', [{ from: '9990000000', to: '9999999999' }])).toBe(false);
  });
});

describe('generation', () => {
  it('is deterministic for a seed, distinct, valid and in the prefix', () => {
    const a = generateNhsNumbers(2000, 42);
    expect(generateNhsNumbers(2000, 42)).toEqual(a);
    expect(generateNhsNumbers(2000, 43)).not.toEqual(a);
    expect(new Set(a).size).toBe(2000);
    for (const n of a) {
      expect(isValidNhsNumber(n)).toBe(true);
      expect(n.startsWith('999')).toBe(true);
    }
  });

  it('refuses an impossible request instead of looping forever', () => {
    expect(() => generateNhsNumbers(100, 1, '99999999')).toThrow(/cannot hold/);
    expect(() => generateNhsNumbers(1, 1, '0')).toThrow(/prefix/);
  });
});

describe('masking', () => {
  it('never shows the full number', () => {
    expect(maskNhsNumber('9990000018')).toBe('999******8');
  });
});

describe('patient:identifier parsing', () => {
  it('accepts the system|value form', () => {
    expect(parsePatientIdentifier('https://fhir.nhs.uk/Id/nhs-number|9990000018')).toEqual({
      ok: true,
      nhsNumber: '9990000018',
    });
  });
  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    [['a', 'b'], 'format'],
    ['9990000018', 'system'],
    ['https://example.org|9990000018', 'system'],
    ['https://fhir.nhs.uk/Id/nhs-number|12345', 'format'],
    ['https://fhir.nhs.uk/Id/nhs-number|9000000018', 'check-digit'],
  ])('rejects %p as %s', (raw, reason) => {
    const r = parsePatientIdentifier(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
});
