/**
 * JUnit XML, the format CI systems render. One writer for every suite (check, EVA, Pact, load,
 * demo), so every junit.xml has the same shape.
 *
 * JUnit has no "passed with a warning". A warned test case is a passing one whose `<system-out>`
 * starts `WARNING:`, and each testsuite with any counts them in a `warnings` property, so CI pages
 * show it green and tools (and the demo's merged index) can still count warnings apart.
 */

export interface JUnitCase {
  name: string;
  classname: string;
  timeSeconds?: number;
  failure?: { message: string; type?: string; body?: string };
  error?: { message: string; type?: string; body?: string };
  skipped?: { message: string };
  /** Passed, with a warning: rendered into `<system-out>` and counted in the suite's `warnings` property. */
  warning?: { message: string; body?: string };
  systemOut?: string;
}

export const WARNING_PREFIX = 'WARNING: ';

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
  timestamp?: string;
  properties?: Record<string, string>;
}

/** Escapes text for XML and removes characters XML 1.0 cannot carry. */
export function escapeXml(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

function renderCase(c: JUnitCase): string {
  const inner: string[] = [];
  if (c.failure)
    inner.push(
      `      <failure${attrs({ message: c.failure.message, type: c.failure.type ?? 'failure' })}>${escapeXml(c.failure.body ?? c.failure.message)}</failure>`,
    );
  if (c.error)
    inner.push(
      `      <error${attrs({ message: c.error.message, type: c.error.type ?? 'error' })}>${escapeXml(c.error.body ?? c.error.message)}</error>`,
    );
  if (c.skipped) inner.push(`      <skipped${attrs({ message: c.skipped.message })}/>`);
  const out = [
    c.warning ? `${WARNING_PREFIX}${c.warning.message}${c.warning.body ? `\n${c.warning.body}` : ''}` : '',
    c.systemOut ?? '',
  ]
    .filter(Boolean)
    .join('\n\n');
  if (out) inner.push(`      <system-out>${escapeXml(out)}</system-out>`);
  const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: (c.timeSeconds ?? 0).toFixed(3) })}`;
  return inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`;
}

export function junitCounts(cases: JUnitCase[]): {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  warnings: number;
} {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped).length,
    warnings: cases.filter((c) => c.warning && !c.failure && !c.error && !c.skipped).length,
  };
}

/** The warned test cases in a junit.xml (or one testsuite of it) that renderJUnit wrote. */
export function junitWarnings(xml: string): number {
  let n = 0;
  for (const m of xml.matchAll(/<property name="warnings" value="(\d+)"\/>/g)) n += Number(m[1]);
  return n;
}

export function renderJUnit(suites: JUnitSuite[], name = 'pca-harness'): string {
  const all = suites.flatMap((s) => s.cases);
  const total = junitCounts(all);
  const time = all.reduce((t, c) => t + (c.timeSeconds ?? 0), 0);
  const body = suites.map((s) => {
    const n = junitCounts(s.cases);
    const t = s.cases.reduce((acc, c) => acc + (c.timeSeconds ?? 0), 0);
    const properties = { ...(s.properties ?? {}), ...(n.warnings ? { warnings: String(n.warnings) } : {}) };
    const props = Object.keys(properties).length
      ? `    <properties>\n${Object.entries(properties)
          .map(([k, v]) => `      <property${attrs({ name: k, value: v })}/>`)
          .join('\n')}\n    </properties>\n`
      : '';
    return `  <testsuite${attrs({ name: s.name, tests: n.tests, failures: n.failures, errors: n.errors, skipped: n.skipped, time: t.toFixed(3), timestamp: s.timestamp })}>\n${props}${s.cases.map(renderCase).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs({ name, tests: total.tests, failures: total.failures, errors: total.errors, skipped: total.skipped, time: time.toFixed(3) })}>\n${body.join('\n')}\n</testsuites>\n`;
}
