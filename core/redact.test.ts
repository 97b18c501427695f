import { Writable } from 'node:stream';
import { createLogger, memoryLogger } from './logger';
import { redact, redactText, REDACTED } from './redact';

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
