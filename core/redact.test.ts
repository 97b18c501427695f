import { Writable } from 'node:stream';
import { createLogger, memoryLogger } from './logger';
import { generateNhsNumbers } from './nhs-number';
import { maskNhsNumbersInText, MAX_REDACT_DEPTH, redact, redactText, REDACTED, TOO_DEEP } from './redact';

const NHS = '9990000018';
const JWT = 'eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz';
const API_KEY = 'sk-live-abcdef123456';

describe('redact', () => {
  it('masks NHS numbers and removes tokens in nested structures', () => {
    const input = {
      nhsNumber: NHS,
      numbers: [NHS, 9990000026],
      headers: { Authorization: `Bearer ${API_KEY}`, 'NHSD-ID-Token': JWT, 'x-correlation-id': 'abc' },
      nested: { deeper: { note: `patient ${NHS} token ${JWT}` } },
      client_secret: 'hunter2-secret',
    };
    const out = JSON.stringify(redact(input));
    expect(out).not.toContain(NHS);
    expect(out).not.toContain('9990000026');
    expect(out).not.toContain(JWT);
    expect(out).not.toContain(API_KEY);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('abc');
  });

  it('survives cycles and errors', () => {
    const a: Record<string, unknown> = { n: NHS };
    a.self = a;
    const e = new Error(`failed for ${NHS}`);
    const out = redact({ a, e }) as unknown as { a: { n: string }; e: { message: string } };
    expect(out.a.n).toBe('999******8');
    expect(out.e.message).not.toContain(NHS);
  });

  it('redacts bearer credentials in free text', () => {
    expect(redactText(`curl -H 'Authorization: Bearer ${API_KEY}'`)).toBe(
      `curl -H 'Authorization: Bearer ${REDACTED}'`,
    );
  });
});

/** Digits only: what a reader could piece together whatever separators the masker kept. */
const digitsOf = (s: string) => s.replace(/[^0-9*]/g, '');

describe('maskNhsNumbersInText', () => {
  it.each([
    ['an X-Correlation-ID with a digit before', '19998730511'],
    ['a clientId with a digit after', '99987305110'],
    ['dotted', '999.873.0511'],
    ['grouped 4-3-3', '9998 730 511'],
    ['spaced display form', '999 873 0511'],
    ['dashed', '999-873-0511'],
    ['inside a word', 'corr-x9998730511y'],
    ['inside a path', '/records/9998730511/pulls'],
  ])('masks an NHS number %s: %s', (_label, text) => {
    const out = maskNhsNumbersInText(text);
    expect(digitsOf(out)).not.toContain('9998730511');
    expect(out).toContain('*');
  });

  it('masks every valid number of a generated corpus wherever it stands and however it is separated', () => {
    const numbers = generateNhsNumbers(200, 7);
    const wrappers: ((n: string) => string)[] = [
      (n) => n,
      (n) => `1${n}`,
      (n) => `${n}0`,
      (n) => `42${n}77`,
      (n) => `x-correlation-${n}-abc`,
      (n) => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
      (n) => `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`,
      (n) => `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`,
      (n) => `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`,
      (n) => `${n.slice(0, 2)}/${n.slice(2, 5)}/${n.slice(5)}`,
      (n) => `patient=${n}&x=1`,
      (n) => `["${n}",${n}]`,
    ];
    let checked = 0;
    for (const n of numbers)
      for (const wrap of wrappers) {
        const out = maskNhsNumbersInText(wrap(n));
        expect(digitsOf(out)).not.toContain(n);
        checked++;
      }
    expect(checked).toBe(numbers.length * wrappers.length);
  });

  it('leaves text that holds no NHS number alone', () => {
    for (const text of [
      'registered 3, ignored 2 of 5',
      '2026-11-30T09:23:32.123Z',
      'limit 5000 per call, 200 in INT',
      '12345678901', // eleven digits, no window passes Modulus 11
      'v1.2.3',
      'port 7070',
      '123 456 789', // nine digits
    ])
      expect(maskNhsNumbersInText(text)).toBe(text);
  });

  it('masks ten NHS-number-shaped digits even when the check digit is wrong (a mistyped number is still PID)', () => {
    expect(maskNhsNumbersInText('got 9990000019')).toBe('got 999******9');
  });

  it('keeps numbers that are not NHS-number-shaped as numbers in structures', () => {
    const out = redact({ at: 1764495812345, n: 9990000018 });
    expect(out.at).toBe(1764495812345);
    expect(out.n).toBe('999******8');
  });
});

describe('redact depth bound', () => {
  it('survives nesting far deeper than the stack allows and marks where it stopped', () => {
    let deep: unknown = { nhsNumber: '9990000018' };
    for (let i = 0; i < 100_000; i++) deep = { a: [deep] };
    const out = JSON.stringify(redact(deep));
    expect(out).toContain(TOO_DEEP);
    expect(out.split('{"a"').length - 1).toBeLessThanOrEqual(MAX_REDACT_DEPTH);
  });
});

describe('logger', () => {
  it('never writes an NHS number or a token, whatever the call site passes', () => {
    const { logger, lines } = memoryLogger();
    const child = logger.child({ correlationId: 'corr-1', patient: NHS });
    child.info(`looking up ${NHS}`);
    child.info({ nhsNumber: NHS, token: JWT, authorization: `Bearer ${API_KEY}` }, 'with object');
    child.warn({ req: { headers: { 'nhsd-id-token': JWT } } }, 'request %s', NHS);
    child.error(new Error(`boom ${NHS} ${JWT}`));
    logger.info({ list: [NHS, { deep: JWT }] });
    const out = lines().join('\n');
    expect(lines().length).toBe(5);
    expect(out).not.toContain(NHS);
    expect(out).not.toContain(JWT);
    expect(out).not.toContain(API_KEY);
    expect(out).toContain('999******8');
  });

  it('masks NHS numbers glued into correlation ids and client ids', () => {
    const { logger, lines } = memoryLogger();
    const child = logger.child({ correlationId: '19998730511' });
    child.info({ clientId: '99987305110', note: 'called about 999.873.0511 and 9998 730 511' }, 'registered');
    const out = lines()
      .join('\n')
      .replace(/[^0-9*]/g, '');
    expect(out).not.toContain('9998730511');
  });

  it('puts a correlation id on every line', () => {
    const { logger, lines } = memoryLogger();
    logger.info('no request');
    logger.child({ correlationId: 'c-42' }).info('in request');
    const parsed = lines().map((l) => JSON.parse(l) as { correlationId: string });
    expect(parsed.map((p) => p.correlationId)).toEqual(['-', 'c-42']);
  });

  it('writes JSON lines to the destination it is given', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    });
    const logger = createLogger({ destination, level: 'info' });
    logger.debug('hidden');
    logger.info({ n: 1 }, 'shown');
    const lines = chunks.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'shown', n: 1, level: 30 });
  });
});
