import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { logTicks, niceMax } from './charts';
import { planFromProfile, resolveProfile } from './profiles';
import { fanOutFrom } from './fan-out';
import { formatLoadSummary, renderLoadHtml, renderLoadJUnit, renderLoadJson, writeLoadReport } from './report';
import type { LoadReport } from './run-profile';
import { runLoad, VirtualClock } from './runner';

/** A real (virtual-time) run: 5 s at 25/s, one request in ten slow, one in fifty with wrong content. */
async function sampleReport(): Promise<LoadReport> {
  const profile = resolveProfile('supplier-standard', { durationMs: 5000 });
  const clock = new VirtualClock();
  const result = await runLoad(planFromProfile(profile), {
    clock,
    request: async (i) => {
      await clock.sleep(i % 10 === 0 ? 650 : 90);
      return {
        status: 200,
        ok: true,
        tag: i % 2 ? 'Appointment' : 'Task',
        verify: () => (i % 50 === 7 ? ['Appointment differs from the pack: <status> expected "booked"'] : []),
      };
    },
  });
  return {
    tool: 'pca-harness load',
    profile,
    api: 'supplier',
    target: 'http://127.0.0.1:7171',
    verify: true,
    result,
    verdicts: result.verdicts,
    pass: result.pass,
  };
}

describe('load reports', () => {
  let report: LoadReport;
  let dir: string;
  beforeAll(async () => {
    report = await sampleReport();
    dir = mkdtempSync(path.join(tmpdir(), 'pca-load-report-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('summarise the run on the console, with a verdict per threshold', () => {
    const text = formatLoadSummary(report);
    expect(text).toContain(
      'load: profile supplier-standard against http://127.0.0.1:7171 (supplier, verifying content)',
    );
    expect(text).toContain('plan       25 req/s for 5s (125 arrivals), at most 200 in flight');
    expect(text).toContain('latency    p50 90.0  p90 650  p95 650  p99 650  max 650 ms  (from the scheduled start)');
    expect(text).toContain('FAIL  P95 latency at most 400 ms: p95 = 650 ms over 125 requests');
    expect(text).toContain('FAIL  Errors below 1.00%: 3 of 125 (2.40%), 3 with wrong content');
    expect(text).toContain('problem    3 x Appointment differs from the pack: <status> expected "booked"');
    expect(text).toMatch(/Task +63 requests/);
    // producer:WF-NFR-02 on a supplier target: nothing late here, and the slowest answer per endpoint shown.
    expect(text).toMatch(/Task +63 requests, .*; slowest 650 ms \(HTTP 200\)/);
    expect(text).toContain(
      'deadline   producer:WF-NFR-02: 0 late answer(s) not a 504 with an OperationOutcome; slowest: Appointment 90 ms (HTTP 200); Task 650 ms (HTTP 200)',
    );
    expect(text).toContain('PASS  Answers after 9,000 ms are 504 with an OperationOutcome: 0 late answer(s)');
    expect(text.split('\n').pop()).toBe('result: FAIL (3 of 6 thresholds met)');
  });

  it('write JUnit with one case per threshold, the failed ones failing', () => {
    const xml = renderLoadJUnit(report);
    expect(xml).toMatch(/<testsuite name="load supplier-standard" tests="6" failures="3"/);
    expect(xml).toContain(
      '<testcase name="rate: Arrival rate held (at least 95% of plan)" classname="load.supplier-standard" time=',
    );
    expect(xml).toMatch(
      /<testcase name="errors: Errors below 1.00%"[^>]*>\s*<failure message="Errors below 1.00%: 3 of 125/,
    );
    expect(xml).toContain(
      '<property name="requirements" value="producer WF-NFR-01; producer &quot;Capacity and response times&quot;"/>',
    );
  });

  it('write JSON that reads back to the same report', () => {
    expect(JSON.parse(renderLoadJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('draw the distribution and latency and rate over time as inline SVG, escaping what came from the target', () => {
    const html = renderLoadHtml(report);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('aria-label="Latency distribution"');
    expect(html).toContain('aria-label="Latency over time"');
    expect(html).toContain('aria-label="Rate over time"');
    expect(html).toContain('budget 400 ms');
    expect(html).toContain('&lt;status&gt; expected &quot;booked&quot;');
    expect(html).not.toContain('<status>');
    expect(html).not.toMatch(/<script/);
  });

  it('write the three files', async () => {
    const files = await writeLoadReport(dir, report);
    expect(Object.keys(files).sort()).toEqual(['junit.xml', 'load.html', 'load.json']);
    expect(readFileSync(files['load.json']!, 'utf8')).toBe(renderLoadJson(report));
  });

  it('pick tidy axis maxima', () => {
    expect([niceMax(0), niceMax(0.7), niceMax(3), niceMax(101), niceMax(450), niceMax(1000)]).toEqual([
      1, 1, 5, 200, 500, 1000,
    ]);
  });
});

describe('chart axes', () => {
  it('label a log axis with 1-2-5 values, adding the ends when there are too few', () => {
    expect(logTicks(0.05, 3)).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2]);
    expect(logTicks(101, 440)).toEqual([100, 200, 440]);
  });
});

describe('the aggregator fan-out in a load report', () => {
  it('shows the aggregator P95 minus the slowest upstream P95 in the console, HTML and JUnit', async () => {
    const base = await sampleReport();
    const fanOut = fanOutFrom('http://127.0.0.1:7070/_harness/aggregator/fan-out', 120, {
      requests: 10,
      aggregator: { count: 10, min: 1, mean: 50, p50: 50, p90: 80, p95: 90, p99: 95, max: 99 },
      upstreams: [
        { name: 'portal-a', latency: { count: 10, min: 1, mean: 20, p50: 20, p90: 30, p95: 35, p99: 40, max: 41 } },
        { name: 'portal-b', latency: { count: 10, min: 1, mean: 60, p50: 60, p90: 70, p95: 75, p99: 80, max: 81 } },
      ],
      slowestUpstream: { name: 'portal-b', p95Ms: 75 },
      overheadP95Ms: 15,
    });
    expect(fanOut).toMatchObject({ aggregatorP95Ms: 120, platformP95Ms: 90, overheadP95Ms: 45 });
    const r: LoadReport = { ...base, fanOut };
    expect(formatLoadSummary(r)).toContain(
      'fan-out    aggregator p95 120 ms - slowest upstream portal-b p95 75.0 ms = overhead 45.0 ms',
    );
    expect(renderLoadHtml(r)).toContain('Aggregator fan-out');
    expect(renderLoadJUnit(r)).toContain('fanOutOverheadP95Ms');
    expect(formatLoadSummary(base)).not.toContain('fan-out');
  });
});
