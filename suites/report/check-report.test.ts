/**
 * The reports of a real check run (reference supplier with a fault, so there are failures to show):
 * report.json masks NHS numbers and holds no token; junit.xml is structurally JUnit; report.html is
 * self-contained. Its rendering in a real Chromium is check-report.browser.test.ts (npm run test:browser).
 */
import { CATALOGUE } from '../checks/catalogue';
import type { CheckResult } from '../checks/runner';
import { faultedCheckReport } from '../../test-support/check-report-fixture';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { type CheckReport, buildCheckReport, checkSuiteSummary } from './check-report';
import { renderConsoleSummary } from './check-console';
import { renderCheckHtml } from './check-html';
import { renderCheckJUnit } from './check-junit';

const pack = buildDefaultPack(new Date());
let report: CheckReport;

beforeAll(async () => {
  ({ report } = await faultedCheckReport(pack));
});

describe('report.json', () => {
  it('summarises the run: only MUST failures fail it', () => {
    expect(report.summary.passed).toBe(false);
    expect([...report.summary.mustFailed].sort()).toEqual(['DR-03', 'DR-18', 'GA-03', 'GA-18', 'TK-03', 'TK-18']);
    expect(report.summary.total).toBe(report.checks.length);
    expect(
      report.summary.pass + report.summary.warn + report.summary.fail + report.summary.skip + report.summary.error,
    ).toBe(report.summary.total);
  });

  it('carries no NHS number and no token, only masks and placeholders', () => {
    const text = JSON.stringify(report);
    for (const p of pack.patients) expect(text).not.toContain(p.nhsNumber);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toContain('report-test-secret');
    expect(text).toMatch(/999\*{6}\d/);
    expect(text).toContain('$ACCESS_TOKEN');
    expect(text).toContain('$NHSD_ID_TOKEN');
  });

  it('gives every failure evidence and a curl command that reproduces it', () => {
    for (const c of report.checks.filter((x) => x.outcome === 'fail')) {
      expect(c.findings.length).toBeGreaterThan(0);
      expect(c.evidence.length).toBeGreaterThan(0);
      const curl = c.evidence[0]!.curl;
      expect(curl).toMatch(
        /^curl -sS -i -X GET "http:\/\/127\.0\.0\.1:\d+\/(Appointment|DocumentReference|Task)\?patient:identifier=https%3A%2F%2Ffhir\.nhs\.uk%2FId%2Fnhs-number%7C\$NHS_NUMBER"/m,
      );
      expect(curl).toContain('-H "Authorization: Bearer $ACCESS_TOKEN"');
      expect(curl).toContain('-H "NHSD-ID-Token: $NHSD_ID_TOKEN"');
      expect(curl).toMatch(/^# NHS_NUMBER: the NHS number of pack patient 999\*{6}\d/m);
    }
  });

  it('carries a requirement coverage matrix: every requirement, its checks and their verdicts', () => {
    const row = (id: string) => report.coverage.find((r) => r.id === id)!;
    expect(row('producer:PS-PATIENT-SCOPE').status).toBe('failed');
    expect(row('producer:PS-PATIENT-SCOPE').checks).toEqual([
      { id: 'GA-18', outcome: 'fail' },
      { id: 'DR-18', outcome: 'fail' },
      { id: 'TK-18', outcome: 'fail' },
    ]);
    expect(row('producer:PS-CORRELATION-ID').status).toBe('verified');
    expect(row('producer:WF-NFR-03').status).toBe('not-verified');
    expect(row('producer:WF-NFR-18')).toMatchObject({
      status: 'not-testable',
      reason: 'front-end behaviour of the portal, not testable through the API',
    });
  });
});

describe('exit semantics', () => {
  it('a SHOULD failure is reported but does not fail the run; a MUST error does', () => {
    const base = CATALOGUE.find((c) => c.id === 'GA-05')!;
    const should = { ...base, id: 'GA-05', level: 'SHOULD' as const };
    const must = CATALOGUE.find((c) => c.id === 'GA-06')!;
    const build = (results: CheckResult[]) =>
      buildCheckReport({
        results,
        version: '0',
        generatedAt: new Date(),
        durationMs: 1,
        target: { supplierUrl: 'http://s', endpoints: {}, nhsLogin: 'http://n' },
        options: { suites: ['schema', 'rules'], includeThrottle: false },
        packName: 'p',
        roster: { withData: {}, other: () => undefined },
        curl: {},
      });
    const failed = { outcome: 'fail' as const, exchanges: [], findings: [{ title: 'x', hint: 'y' }] };
    const r1 = build([
      { check: should, verdict: failed, durationMs: 1 },
      { check: must, verdict: { outcome: 'pass', exchanges: [] }, durationMs: 1 },
    ]);
    expect(r1.summary).toMatchObject({ passed: true, mustFailed: [], shouldFailed: ['GA-05'], fail: 1 });
    const r2 = build([{ check: must, verdict: { outcome: 'error', exchanges: [], message: 'boom' }, durationMs: 1 }]);
    expect(r2.summary).toMatchObject({ passed: false, mustFailed: ['GA-06'], error: 1 });
  });
});

describe('a warn verdict (the spec contradicts itself; the supplier chose one reading)', () => {
  const tk01 = CATALOGUE.find((c) => c.id === 'TK-01')!;
  const ga01 = CATALOGUE.find((c) => c.id === 'GA-01')!;
  const warning = {
    title: 'Task.identifier is one object (the schema and its example); FHIR R4 makes it an array',
    erratum: 'E-08',
    pointer: '/entry/0/resource/identifier',
    received: `{"system":"https://example.org","value":"${pack.patients[0]!.nhsNumber}"}`,
    hint: 'either is accepted; the reference supplier sends the object',
  };
  const warned = buildCheckReport({
    results: [
      { check: tk01, verdict: { outcome: 'warn', exchanges: [], warnings: [warning] }, durationMs: 2 },
      { check: ga01, verdict: { outcome: 'pass', exchanges: [] }, durationMs: 1 },
    ],
    version: '0',
    generatedAt: new Date('2026-01-01T00:00:00Z'),
    durationMs: 3,
    target: { supplierUrl: 'http://s', endpoints: {}, nhsLogin: 'http://n' },
    options: { suites: ['schema', 'rules'], includeThrottle: false },
    packName: 'p',
    roster: { withData: {}, other: () => undefined },
    curl: {},
  });

  it('passes and is counted apart from plain passes, with the warning masked', () => {
    expect(warned.summary).toMatchObject({ passed: true, pass: 1, warn: 1, fail: 0, mustFailed: [] });
    const c = warned.checks.find((x) => x.id === 'TK-01')!;
    expect(c.outcome).toBe('warn');
    expect(c.warnings).toEqual([{ ...warning, received: expect.stringMatching(/"value":"999\*{6}\d"/) }]);
    expect(c.findings).toEqual([]);
  });

  it('verifies the requirements its check cites (a warning is not a failure)', () => {
    for (const req of tk01.requirements) {
      const row = warned.coverage.find((r) => r.id === req)!;
      expect(row.checks).toContainEqual({ id: 'TK-01', outcome: 'warn' });
      expect(row.status).not.toBe('failed');
    }
  });

  it('prints a WARN line naming the erratum and what is safe under every reading', () => {
    const text = renderConsoleSummary(warned);
    expect(text).toContain('2 checks, 1 passed, 1 passed with warnings, 0 failed');
    expect(text).toMatch(/TK {2}Questionnaires .*: 0 passed, 1 warned, 0 failed/);
    expect(text).toContain('  WARN  TK-01 [MUST]');
    expect(text).toContain('- E-08: Task.identifier is one object');
    expect(text).toContain('safe under every reading: either is accepted; the reference supplier sends the object');
    expect(text).toMatch(/PASSED: every MUST check that ran passed \(1 with warnings/);
  });

  it("is a passing JUnit test case with a system-out note, counted in the suite's warnings property", () => {
    const xml = renderCheckJUnit(warned);
    parseXml(xml);
    expect(xml).toMatch(/<testsuites [^>]*tests="2" failures="0" errors="0" skipped="0"/);
    const tk = /<testsuite name="TK [^>]*>[\s\S]*?<\/testsuite>/.exec(xml)![0];
    expect(tk).toContain('<property name="warnings" value="1"/>');
    expect(tk).not.toMatch(/<(failure|error|skipped)\b/);
    expect(tk).toMatch(/<system-out>WARNING: \[MUST\] passed with 1 warning\(s\): E-08: Task.identifier/);
    const ga = /<testsuite name="GA [^>]*>[\s\S]*?<\/testsuite>/.exec(xml)![0];
    expect(ga).not.toContain('name="warnings"');
  });

  it('shows an amber WARN badge and a warnings section in the HTML', () => {
    const html = renderCheckHtml(warned);
    expect(html).toContain('<span class="badge warn">WARN</span> TK-01');
    expect(html).toContain('<h2>Warnings</h2>');
    expect(html).toContain('safe under every reading');
    expect(html).toContain('1 passed, 1 passed with warnings, 0 failed');
  });

  it('reaches the cross-suite index as its own count and list', () => {
    const row = checkSuiteSummary(warned);
    expect(row.verdict).toBe('pass');
    expect(row.counts).toEqual({ passed: 1, warned: 1, failed: 0, skipped: 0, errors: 0 });
    expect(row.headline).toBe('2 of 2 MUST checks passed (1 with warnings)');
    expect(row.warnings).toEqual([expect.stringMatching(/^TK-01 .*: E-08: Task.identifier is one object/)]);
  });
});

describe('the cross-suite index row', () => {
  it('reduces the run to a SuiteSummary the index page and merged JUnit use', () => {
    const row = checkSuiteSummary(report);
    expect(row).toMatchObject({
      key: 'check',
      verdict: 'fail',
      files: { 'report.html': 'check/report.html', 'junit.xml': 'check/junit.xml', 'report.json': 'check/report.json' },
    });
    expect(row.headline).toMatch(/^\d+ of \d+ MUST checks passed, 15 skipped$/);
    expect(row.highlights).toHaveLength(6);
    expect(row.highlights![0]).toMatch(/^GA-03 A patient with no appointments gets 200 and a Bundle with total 0: /);
  });
});

describe('console summary', () => {
  it('lists failing families first, failures before anything else, each with what to fix', () => {
    const text = renderConsoleSummary(report, { curl: false });
    const lines = text.split('\n');
    const firstFamily = lines.findIndex((l) => /^(GA|DR|TK|RS) {2}/.test(l));
    expect(lines[firstFamily]).toMatch(/^GA {2}Appointments .*2 failed/);
    expect(lines[firstFamily + 1]).toMatch(/^ {2}FAIL {2}GA-03 \[MUST\]/);
    expect(text).toContain('fix: Filter by the requested NHS number');
    expect(text).toMatch(/FAILED: 6 MUST check\(s\) failed: GA-03, GA-18, DR-03, DR-18, TK-03, TK-18\n$/);
    for (const p of pack.patients) expect(text).not.toContain(p.nhsNumber);
  });
});

/** A small structural reader for JUnit XML: well-formed tags, escapes, and the counts CI systems read. */
function parseXml(xml: string): Array<{ name: string; attrs: Record<string, string>; children: unknown[] }> {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  interface El {
    name: string;
    attrs: Record<string, string>;
    children: El[];
    text: string;
  }
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  const body = xml.replace(/^<\?xml[^>]*\?>\n/, '');
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = token.exec(body))) {
    pos = token.lastIndex;
    if (m[5] !== undefined) {
      // Text: every & starts a known entity.
      expect(m[5]).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      stack[stack.length - 1]!.text += m[5];
      continue;
    }
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      const open = stack.pop()!;
      expect(open.name).toBe(name);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      expect(a[2]).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      attrs[a[1]!] = a[2]!;
    }
    const el: El = { name: name!, attrs, children: [], text: '' };
    stack[stack.length - 1]!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  expect(pos).toBe(body.length);
  expect(stack).toHaveLength(1);
  return root.children as never;
}

describe('junit.xml', () => {
  it('is JUnit: one testsuites root, a testsuite per family with matching counts, a testcase per check', () => {
    const xml = renderCheckJUnit(report);
    const roots = parseXml(xml) as Array<{
      name: string;
      attrs: Record<string, string>;
      children: Array<{
        name: string;
        attrs: Record<string, string>;
        children: Array<{ name: string; attrs: Record<string, string> }>;
      }>;
    }>;
    expect(roots).toHaveLength(1);
    const suites = roots[0]!;
    expect(suites.name).toBe('testsuites');
    expect(Number(suites.attrs.tests)).toBe(report.checks.length);
    expect(Number(suites.attrs.failures)).toBe(report.summary.fail);
    expect(Number(suites.attrs.skipped)).toBe(report.summary.skip);
    let cases = 0;
    for (const s of suites.children) {
      expect(s.name).toBe('testsuite');
      const tcs = s.children.filter((c) => c.name === 'testcase');
      cases += tcs.length;
      expect(Number(s.attrs.tests)).toBe(tcs.length);
      expect(Number(s.attrs.failures)).toBe(
        tcs.filter((t) =>
          (t as unknown as { children: Array<{ name: string }> }).children.some((c) => c.name === 'failure'),
        ).length,
      );
      for (const t of tcs) {
        expect(t.attrs.name).toMatch(/^(GA|DR|TK|RS)-\d\d /);
        expect(t.attrs.classname).toMatch(/^pca-harness\.check\.(GA|DR|TK|RS)$/);
        expect(Number.isFinite(Number(t.attrs.time))).toBe(true);
      }
    }
    expect(cases).toBe(report.checks.length);
    // The failure body carries the evidence and the curl command.
    expect(xml).toMatch(/<failure message="\[MUST\] [^"]+" type="MUST">GA-03 \[MUST\]/);
    expect(xml).toContain('curl -sS -i -X GET');
    for (const p of pack.patients) expect(xml).not.toContain(p.nhsNumber);
  });
});

// ---- PNG, just enough to count the pixels that are not background --------------------------

describe('report.html', () => {
  it('is self-contained: no script, no external stylesheet, image or font', () => {
    const html = renderCheckHtml(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/[^"]+\.(css|js|png|svg|woff2?)"/i);
    expect(html).toContain('<svg');
    for (const p of pack.patients) expect(html).not.toContain(p.nhsNumber);
  });
});
