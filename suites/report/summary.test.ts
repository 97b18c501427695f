import { junitWarnings, renderJUnit } from './junit';
import { overallVerdict, renderIndexPage, type SuiteSummary } from './summary';

const suite = (key: string, verdict: SuiteSummary['verdict'], failed = 0): SuiteSummary => ({
  key,
  title: `${key} suite`,
  verdict,
  headline: `${key} headline`,
  counts: { passed: 3, warned: 0, failed, skipped: 1, errors: 0 },
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

describe('warnings across suites', () => {
  it('counts warned test cases apart on the index and through the merged JUnit', () => {
    const checkSuites = [
      {
        name: 'TK',
        cases: [
          { name: 'TK-01', classname: 'c', warning: { message: 'E-08: one reading' } },
          { name: 'TK-02', classname: 'c' },
        ],
      },
    ];
    const evaSuites = [{ name: 'eva.Task', cases: [{ name: 'p1', classname: 'e', warning: { message: 'E-06' } }] }];
    // The demo renders one junit.xml from every suite's JUnit suites it holds.
    const merged = renderJUnit([...checkSuites, ...evaSuites]);
    expect(merged).toMatch(/<testsuites [^>]*tests="3" failures="0" errors="0" skipped="0"/);
    expect(junitWarnings(merged)).toBe(2);
    expect(merged).toContain('<system-out>WARNING: E-08: one reading</system-out>');
    const html = renderIndexPage(
      [
        {
          ...suite('check', 'pass'),
          counts: { ...suite('check', 'pass').counts, warned: 2 },
          warnings: ['TK-01 E-08'],
        },
      ],
      {
        generatedAt: '2026-01-01T00:00:00Z',
        harnessVersion: '1',
        specVersions: {},
      },
    );
    expect(html).toContain('3 / 2 / 0 / 1 / 0');
    expect(html).toContain('<span class="badge warn">1 WARNING</span>');
    expect(html).toMatch(/<div class="tile warn"><div class="n">2<\/div><div class="l">passed with warnings/);
  });
});
