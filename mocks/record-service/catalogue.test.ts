import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  REASON_CATALOGUE,
  REASON_CODES,
  isReasonCode,
  modeAnswer,
  reasonEntry,
  renderReasonTableMarkdown,
} from './catalogue';

const DOC = path.join(__dirname, '..', '..', 'docs', 'record-service.md');

describe('reason catalogue', () => {
  it('has exactly one entry per code, in the declared order, each with a title, fix and source', () => {
    expect(REASON_CATALOGUE.map((e) => e.code)).toEqual([...REASON_CODES]);
    for (const e of REASON_CATALOGUE) {
      expect(e.title.length).toBeGreaterThan(10);
      expect(e.fix.length).toBeGreaterThan(30);
      expect(e.source.length).toBeGreaterThan(5);
    }
    expect(isReasonCode('trailing-slash')).toBe(true);
    expect(isReasonCode('nope')).toBe(false);
  });

  it("keeps the spec's answers: 401 error.unauthorized for unknown keys, 400 error.bad-request for a clientId mismatch, in both modes", () => {
    for (const mode of ['strict', 'int'] as const) {
      expect(modeAnswer('unknown-api-key', mode)).toEqual({ status: 401, code: 'error.unauthorized' });
      expect(modeAnswer('client-id-mismatch', mode)).toEqual({ status: 400, code: 'error.bad-request' });
      expect(modeAnswer('nhs-number-pattern', mode)).toEqual({ status: 400, code: 'error.bad-request' });
    }
    expect(modeAnswer('trailing-slash', 'int')).toBe('accept');
    expect(reasonEntry('no-supplier-endpoint').kind).toBe('note');
  });

  it('docs/record-service.md carries the generated reason table, so it lists every code with its fix', () => {
    const doc = readFileSync(DOC, 'utf8');
    const m = /<!-- reasons:start -->\n([\s\S]*?)\n<!-- reasons:end -->/.exec(doc);
    expect(m).not.toBeNull();
    const table = renderReasonTableMarkdown();
    if (m![1] !== table) {
      throw new Error(
        `docs/record-service.md is out of date: replace the lines between <!-- reasons:start --> and <!-- reasons:end --> with\n${table}`,
      );
    }
    for (const code of REASON_CODES) expect(doc).toContain(`\`${code}\``);
  });
});
