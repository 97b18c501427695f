import { overallVerdict, renderIndexPage, type SuiteSummary } from './summary';

const suite = (key: string, verdict: SuiteSummary['verdict'], failed = 0): SuiteSummary => ({
  key,
  title: `${key} suite`,
  verdict,
  headline: `${key} headline`,
  counts: { passed: 3, failed, skipped: 1, errors: 0 },
  files: { HTML: `${key}/report.html` },
  highlights: failed ? [`${key} <broke> for 999******8`] : [],
});

describe('index page', () => {
  it('puts failures first, links every report and escapes text', () => {
    const html = renderIndexPage([suite('check', 'pass'), suite('eva', 'fail', 2)], {
      generatedAt: '2026-01-01T00:00:00Z',
      harnessVersion: '1.2.3',
      specVersions: { producer: '3.12.0' },
    });
    expect(html.indexOf('eva suite')).toBeLessThan(html.indexOf('check suite'));
    expect(html).toContain('href="check/report.html"');
    expect(html).toContain('eva &lt;broke&gt;');
    expect(html).toContain('3.12.0');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('derives one verdict', () => {
    expect(overallVerdict([suite('a', 'pass'), suite('b', 'pass')])).toBe('pass');
    expect(overallVerdict([suite('a', 'pass'), suite('b', 'fail')])).toBe('fail');
    expect(overallVerdict([suite('a', 'fail'), suite('b', 'error')])).toBe('error');
  });
});
