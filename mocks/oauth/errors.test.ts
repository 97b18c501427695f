import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OAUTH_ERRORS, OAUTH_ERROR_CODES, renderOAuthErrorTableMarkdown } from './errors';

describe('OAuth error catalogue', () => {
  it('has one entry per code, each 4xx with a hint', () => {
    expect(OAUTH_ERRORS.map((e) => e.code)).toEqual([...OAUTH_ERROR_CODES]);
    for (const e of OAUTH_ERRORS) {
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(500);
      expect(e.hint.length).toBeGreaterThan(20);
    }
  });

  it('docs/record-service.md carries the generated error table', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'record-service.md'), 'utf8');
    const m = /<!-- oauth-errors:start -->\n([\s\S]*?)\n<!-- oauth-errors:end -->/.exec(doc);
    expect(m).not.toBeNull();
    const table = renderOAuthErrorTableMarkdown();
    if (m![1] !== table)
      throw new Error(`docs/record-service.md is out of date: replace the oauth-errors block with\n${table}`);
  });
});
