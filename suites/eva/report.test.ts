import { DeadlineObserver } from '../../core/deadline';
import type { Appointment } from '../../core/fhir';
import { PCA_URLS } from '../../core/fhir';
import { appViewSample, businessRulesOf, compareAppView } from './app-view';
import { comparePatientResponse, type PatientVerdict } from './compare';
import { consoleSummary, consumerViewMismatches, orderForReport, renderEvaReports, type EvaRun } from './report';
import { samplePatientBundles } from './sample-bundles';

const NHS = ['9990000018', '9990000026', '9990000034'];
const clone = <T>(v: T): T => structuredClone(v);

/** Minimal XML well-formedness check: tags balance and nest; returns the element names in order. */
function xmlElements(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}>`);
    } else {
      names.push(name);
      if (!selfClosing) stack.push(name);
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  // Anything tag-like left over was not a well-formed tag.
  const leftover = body.replace(/<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, '');
  if (/[<>]/.test(leftover)) throw new Error(`stray markup: ${leftover.match(/.{0,20}[<>].{0,20}/)?.[0] ?? ''}`);
  return names;
}

function buildRun(): EvaRun {
  const verdicts: PatientVerdict[] = [];
  NHS.forEach((nhs, i) => {
    const b = samplePatientBundles(nhs, i);
    verdicts.push(
      comparePatientResponse({
        nhsNumber: nhs,
        resourceType: 'Task',
        expected: b.Task,
        status: 200,
        body: clone(b.Task),
        patientIndex: i,
      }),
    );
    if (i === 1) {
      const actual = clone(b.Appointment);
      (actual.entry![0].resource as Appointment).status = 'cancelled';
      (actual.entry![0].resource as Appointment).participant[0].actor!.identifier!.value = '9990000042';
      verdicts.push(
        comparePatientResponse({
          nhsNumber: nhs,
          resourceType: 'Appointment',
          expected: b.Appointment,
          status: 200,
          body: actual,
          patientIndex: i,
          scenario: 'cancelled outpatient',
        }),
      );
    } else if (i === 2) {
      verdicts.push(
        comparePatientResponse({
          nhsNumber: nhs,
          resourceType: 'Appointment',
          expected: b.Appointment,
          status: 500,
          patientIndex: i,
          body: {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'exception', diagnostics: `no record for ${nhs}` }],
          },
        }),
      );
    } else {
      verdicts.push(
        comparePatientResponse({
          nhsNumber: nhs,
          resourceType: 'Appointment',
          expected: b.Appointment,
          status: 200,
          body: clone(b.Appointment),
          patientIndex: i,
        }),
      );
    }
  });
  return {
    supplier: 'http://127.0.0.1:7171',
    pack: 'default',
    startedAt: '2025-01-01T10:00:00.000Z',
    finishedAt: '2025-01-01T10:00:02.000Z',
    durationMs: 2000,
    ignore: ['meta', 'fullUrl'],
    verdicts,
    appView: [
      appViewSample({ nhsNumber: NHS[0], status: 200, body: carePlanBundle(3) }),
      appViewSample({ nhsNumber: NHS[2], status: 207, body: carePlanBundle(1, true) }),
    ],
  };
}

function carePlanBundle(activities: number, withIssue = false): unknown {
  const entry: unknown[] = [
    {
      resource: {
        resourceType: 'CarePlan',
        status: 'active',
        intent: 'order',
        subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS[0] } },
        activity: Array.from({ length: activities }, () => ({ reference: { type: 'Appointment' } })),
      },
    },
  ];
  if (withIssue) {
    entry.push({
      resource: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'timeout',
            diagnostics: `supplier timed out for ${NHS[2]}`,
            extension: [{ url: PCA_URLS.errorSource, valueCode: 'myportal-02' }],
          },
        ],
      },
    });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
}

describe('EVA reports', () => {
  const run = buildRun();
  const files = renderEvaReports(run);

  it('orders mismatches first, then errors, then matches', () => {
    expect(orderForReport(run.verdicts).map((v) => v.verdict)).toEqual([
      'mismatch',
      'error',
      'match',
      'match',
      'match',
      'match',
    ]);
  });

  it('writes well-formed JUnit XML with one testcase per patient and resource type', () => {
    const names = xmlElements(files['junit.xml']);
    expect(names.filter((n) => n === 'testcase')).toHaveLength(run.verdicts.length);
    expect(names.filter((n) => n === 'failure')).toHaveLength(1);
    expect(names.filter((n) => n === 'error')).toHaveLength(1);
    expect(names.filter((n) => n === 'testsuite')).toHaveLength(2);
    expect(files['junit.xml']).toMatch(/<testsuites name="pca-harness eva" tests="6" failures="1" errors="1"/);
    expect(files['junit.xml']).toContain('name="patient 1 999******6 (cancelled outpatient) Appointment"');
    expect(files['junit.xml']).toContain(
      'changed             /entry[id=appt-1-1]/resource/status  expected &quot;booked&quot;, got &quot;cancelled&quot;',
    );
  });

  it('writes eva.json with totals and every verdict, failing first', () => {
    const json = JSON.parse(files['eva.json']) as {
      report: string;
      totals: { comparisons: number; passed: boolean };
      verdicts: PatientVerdict[];
      appView: unknown[];
    };
    expect(json.report).toBe('eva');
    expect(json.totals).toMatchObject({ comparisons: 6, passed: false });
    expect(json.verdicts.map((v) => v.verdict)[0]).toBe('mismatch');
    expect(json.appView).toHaveLength(2);
  });

  it('shows each difference side by side in the HTML, failing comparisons before matches', () => {
    const html = files['eva.html'];
    expect(html).toMatch(
      /<div class="side"><div><h4>expected<\/h4><pre class="exp">&quot;booked&quot;<\/pre><\/div><div><h4>actual<\/h4><pre class="act">&quot;cancelled&quot;<\/pre><\/div><\/div>/,
    );
    expect(html).toContain('<code>/entry[id=appt-1-1]/resource/status</code>');
    expect(html).toContain('<span class="badge fail">FAIL</span> Expected versus actual');
    expect(html.indexOf('MISMATCH')).toBeLessThan(html.indexOf('Matched (4)'));
    expect(html.indexOf('MISMATCH')).toBeLessThan(html.indexOf('>ERROR<'));
    expect(html).toContain('What the NHS App would see');
    expect(html).toContain('timeout · myportal-02');
  });

  it('masks NHS numbers in all three files and the console summary', () => {
    for (const text of [...Object.values(files), consoleSummary(run)]) {
      for (const n of [...NHS, '9990000042']) expect(text).not.toContain(n);
    }
    expect(files['eva.html']).toContain('999******2');
  });

  it('masks NHS numbers even in a run built by hand with raw values', () => {
    const raw: EvaRun = {
      verdicts: [
        {
          nhsNumberMasked: '9990000018',
          resourceType: 'Appointment',
          verdict: 'mismatch',
          status: 200,
          differences: [
            {
              kind: 'changed',
              path: '/entry[identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018]/resource/x',
              expected: { value: '9990000018' },
              actual: '999 000 0026',
              message: 'expected 9990000018',
            },
          ],
        },
      ],
      appView: [
        { nhsNumberMasked: '9990000034', activities: 0, carePlans: 0, issues: [{ diagnostics: 'for 9990000034' }] },
      ],
    };
    const out = renderEvaReports(raw);
    for (const text of [...Object.values(out), consoleSummary(raw)]) {
      expect(text).not.toMatch(/9990000018|9990000034|999 000 0026/);
    }
  });

  it('prints totals first, then each failing comparison with one line per difference', () => {
    const lines = consoleSummary(run).trimEnd().split('\n');
    expect(lines[0]).toBe('EVA FAIL: 6 comparisons (3 patients): 4 match, 1 mismatch, 1 error; 3 differences');
    const mismatch = lines.findIndex((l) => l.startsWith('MISMATCH'));
    const error = lines.findIndex((l) => l.startsWith('ERROR'));
    expect(mismatch).toBeGreaterThan(0);
    expect(error).toBeGreaterThan(mismatch);
    expect(lines[mismatch]).toBe(
      'MISMATCH patient 1 999******6 (cancelled outpatient) Appointment HTTP 200: 2 differences',
    );
    expect(lines.slice(mismatch + 1, error)).toEqual([
      '  changed             /entry[id=appt-1-1]/resource/status  expected "booked", got "cancelled"',
      expect.stringMatching(
        /^ {2}changed {13}\/entry\[id=appt-1-1\]\/resource\/participant\[actor=Patient\|https:\/\/fhir.nhs.uk\/Id\/nhs-number\|999\*{6}6\]\/actor\/identifier\/value {2}expected "999\*{6}6", got "999\*{6}2"$/,
      ),
    ]);
    expect(lines[error]).toMatch(/^ERROR {4}patient 2 999\*{6}4 Appointment HTTP 500: 1 difference$/);
    expect(lines).toContain('  999******8 HTTP 200: 3 activities');
  });

  it('says PASS and lists nothing when every comparison matched', () => {
    const passing: EvaRun = { verdicts: run.verdicts.filter((v) => v.verdict === 'match') };
    expect(consoleSummary(passing)).toBe(
      'EVA PASS: 4 comparisons (3 patients): 4 match, 0 mismatch, 0 error; 0 differences\n  Task               3 match, 0 mismatch, 0 error\n  Appointment        1 match, 0 mismatch, 0 error\n',
    );
    const out = renderEvaReports(passing);
    expect(out['eva.html']).toContain('<span class="badge pass">PASS</span>');
    expect(xmlElements(out['junit.xml']).filter((n) => n === 'failure' || n === 'error')).toEqual([]);
  });

  it('caps the detail it prints and says how much is left out', () => {
    const many: EvaRun = {
      verdicts: Array.from({ length: 30 }, () => run.verdicts.find((v) => v.verdict === 'mismatch')!),
    };
    const text = consoleSummary(many, { maxDetailed: 2, maxDifferences: 1 });
    expect(text).toContain('... and 28 more failing comparisons (see eva.html / eva.json)');
    expect(text).toContain('  ... and 1 more differences');
    expect(renderEvaReports(many, { maxDetailed: 3 })['eva.html']).toContain(
      'and 27 more failing comparisons in eva.json',
    );
  });
});

describe('appViewSample', () => {
  it('counts CarePlan activities and lists OperationOutcome issues with their source', () => {
    expect(appViewSample({ nhsNumber: NHS[2], status: 207, body: carePlanBundle(2, true) })).toEqual({
      nhsNumberMasked: '999******4',
      status: 207,
      activities: 2,
      carePlans: 1,
      issues: [
        { severity: 'error', code: 'timeout', source: 'myportal-02', diagnostics: 'supplier timed out for 999******4' },
      ],
    });
  });

  it('reads an empty 200, a bare OperationOutcome, text and no response', () => {
    expect(appViewSample({ nhsNumber: NHS[0], status: 200, body: '' })).toMatchObject({ activities: 0, issues: [] });
    expect(
      appViewSample({
        nhsNumber: NHS[0],
        status: 403,
        body: JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'UNDER_16_DENIED' }],
        }),
      }),
    ).toMatchObject({ status: 403, issues: [{ code: 'forbidden', diagnostics: 'UNDER_16_DENIED' }] });
    expect(appViewSample({ nhsNumber: NHS[0], status: 502, body: '<html>' }).note).toMatch(
      /^unreadable response: text that is not JSON/,
    );
    expect(appViewSample({ nhsNumber: NHS[0], body: undefined, error: 'connect ECONNREFUSED' })).toMatchObject({
      note: 'no response: connect ECONNREFUSED',
    });
  });
});

describe('EVA reports: matches with warnings', () => {
  const warning = {
    erratum: 'E-06',
    pointer: '/entry/0/resource/authored',
    title: 'the date is in "authored" (the spec\'s schema; its example and FHIR R4 say "authoredOn")',
    hint: 'send "authoredOn"',
  };
  const run: EvaRun = {
    verdicts: [
      { nhsNumberMasked: '999******8', resourceType: 'Task', verdict: 'match', status: 200, differences: [] },
      {
        nhsNumberMasked: '999******6',
        resourceType: 'Task',
        verdict: 'warn',
        status: 200,
        differences: [],
        warnings: [warning],
      },
    ],
  };

  it('count apart, pass, and print the erratum once with what is safe', () => {
    const text = consoleSummary(run);
    expect(text).toMatch(/^EVA PASS: 2 comparisons: 1 match, 1 match with warnings, 0 mismatch, 0 error/);
    expect(text).toContain('WARN     E-06 in 1 place: the date is in "authored"');
    expect(text).toContain('safe under every reading: send "authoredOn"');
  });

  it('are passing JUnit cases with a WARNING note, counted in the warnings property; amber in the HTML', () => {
    const files = renderEvaReports(run);
    xmlElements(files['junit.xml']);
    expect(files['junit.xml']).toContain('<property name="warnings" value="1"/>');
    expect(files['junit.xml']).toMatch(
      /<system-out>WARNING: matched, reading the body as docs\/spec-errata.md accepts: E-06/,
    );
    expect(files['junit.xml']).not.toMatch(/<failure|<error/);
    expect(files['eva.html']).toContain(
      '<span class="badge warn">WARN</span> Matched by reading a contradicting spec (1)',
    );
    expect(JSON.parse(files['eva.json'])).toMatchObject({ totals: { warn: 1, match: 1, passed: true } });
  });
});

describe('compareAppView (EVA of the consumer view)', () => {
  const bundle = (rules: string[]) => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [
      { resource: { resourceType: 'CarePlan', activity: [{ detail: {} }] } },
      {
        resource: {
          resourceType: 'OperationOutcome',
          issue: rules.map((r) => ({
            severity: 'information',
            code: 'business-rule',
            diagnostics: `${r}: suppressed`,
          })),
        },
      },
    ],
  });

  it('matches when status, CarePlans, activities and business rules are as expected', () => {
    const s = appViewSample({ nhsNumber: NHS[0], status: 200, body: bundle(['AGGBR30']) });
    expect(businessRulesOf(s)).toEqual(['AGGBR30']);
    expect(
      compareAppView(s, { status: 200, carePlans: 1, activities: 1, businessRules: ['AGGBR30'] }).differences,
    ).toEqual([]);
  });

  it('names every difference, and a mismatch fails the consumer-view JUnit case', () => {
    const s = compareAppView(appViewSample({ nhsNumber: NHS[0], status: 207, body: bundle([]) }), {
      status: 200,
      carePlans: 2,
      activities: 1,
      businessRules: ['AGGBR33'],
    });
    expect(s.differences).toEqual([
      'status: expected 200, got 207',
      'CarePlans: expected 2, got 1',
      'business rules: expected ["AGGBR33"], got []',
    ]);
    expect(consumerViewMismatches([s])).toHaveLength(1);
    const files = renderEvaReports({ verdicts: [], appView: [s] });
    expect(files['junit.xml']).toContain('name="eva.consumer-view"');
    expect(files['junit.xml']).toContain('type="eva-mismatch"');
    expect(consoleSummary({ verdicts: [], appView: [s] })).toContain('MISMATCH');
  });
});

describe('EVA reports: producer:WF-NFR-02 observed on the pulls', () => {
  it('adds one JUnit case per endpoint, failed where a late answer was not a 504, naming the slowest answer', () => {
    const o = new DeadlineObserver();
    o.observe('Appointment /Appointment', 'patient 1 (client-a)', {
      status: 200,
      latencyMs: 300,
      operationOutcome: false,
    });
    o.observe('Appointment /Appointment', 'patient 2 (client-a)', {
      status: 200,
      latencyMs: 9_600,
      operationOutcome: false,
    });
    o.observe('Task /Task', 'patient 1 (client-b)', { status: 504, latencyMs: 9_200, operationOutcome: true });
    const run: EvaRun = { verdicts: [], deadline: o.report() };
    const junit = renderEvaReports(run)['junit.xml'];
    expect(junit).toContain('name="eva.deadline"');
    expect(junit).toMatch(
      /<testcase name="producer:WF-NFR-02 Appointment \/Appointment"[^>]*>\s*<failure message="1 late answer\(s\) not a 504 with an OperationOutcome; first patient 2 \(client-a\): HTTP 200 after 9,600 ms/,
    );
    expect(junit).toMatch(
      /<testcase name="producer:WF-NFR-02 Task \/Task"[^>]*>\s*<system-out>1 answer\(s\) timed; slowest Task \/Task 9,200 ms \(HTTP 504\)/,
    );
    const files = renderEvaReports(run);
    expect(JSON.parse(files['eva.json']).deadline.lateCount).toBe(1);
    expect(files['eva.html']).toContain('Timeouts (producer:WF-NFR-02)');
    expect(files['eva.html']).toContain('Appointment /Appointment, patient 2 (client-a): HTTP 200 after 9,600 ms');
  });
});
