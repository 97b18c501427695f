/**
 * `npm run test:k6`: every k6 script in load/k6/ under a real k6 (K6_BIN, else `k6` on PATH)
 * against the mock platform and the reference supplier started in-process on free ports, a few
 * seconds each. Not part of `npm test`, which runs where there is no k6.
 *
 * These runs assert on k6's verdicts (exit codes, threshold results, counts), which is what the
 * scripts are for; the latency figures themselves belong to `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startSupplier } from '../../cli/commands/supplier';
import { bundleK6Scripts, k6Scripts } from '../../load/bundle-k6';
import { K6_METRICS } from '../../load/k6/lib/options';
import { summaryPasses, thresholdResults } from '../../load/k6/lib/summary';
import { LOCAL_DEFAULTS } from '../../load/profile-data';
import { renderLoadJUnit } from '../../load/report';
import { runLoadProfile, type LoadReport } from '../../load/run-profile';
import { runCli } from '../../test-support/cli';
import { K6_SCRIPT_EXPECTATIONS } from '../../test-support/k6-expectations';
import {
  findK6,
  junitCaseNames,
  K6_SCRIPT_ABORTED,
  K6_THRESHOLDS_FAILED,
  K6_SCRIPT_DIR,
  REPO_ROOT,
  runK6,
  STACK_RECORDS_CLIENT,
  startLoadStack,
  type K6Run,
  type LoadStack,
} from '../../test-support/k6';

const bin = findK6();
let stack: LoadStack;
let slowSupplierUrl: string;

beforeAll(async () => {
  stack = await startLoadStack();
  slowSupplierUrl = await stack.supplier({ fault: 'slow' });
});
afterAll(() => stack?.close());

const scriptName = (file: string): string => path.basename(file, '.ts');

/** Runs a script of load/k6 (or a bundled file) as its expectation says, with `extra` on top. */
function runScript(name: string, extra: Record<string, string> = {}, file?: string): Promise<K6Run> {
  const e = K6_SCRIPT_EXPECTATIONS[name];
  if (!e) throw new Error(`no expectation for ${name}`);
  return runK6(
    bin,
    file ?? path.join('load', 'k6', `${name}.ts`),
    { PACK: stack.packFile, DURATION: e.duration, ...e.env(stack), ...extra },
    { profile: e.profile },
  );
}

/** What to show when a run did not end as expected: k6's own words. */
const outcome = (r: K6Run): string => `exit ${r.code}\n${r.stdout}\n${r.stderr.slice(-3000)}`;

function metricValue(r: K6Run, metric: string, key: string): number | undefined {
  return r.summary?.metrics[metric]?.values[key];
}

describe('every k6 script in load/k6/, under a real k6, against the reference supplier', () => {
  it('has an expectation declared for every script (a new script is never silently skipped)', () => {
    expect(k6Scripts().map(scriptName).sort()).toEqual(Object.keys(K6_SCRIPT_EXPECTATIONS).sort());
  });

  for (const file of k6Scripts()) {
    const name = scriptName(file);
    it(`${name} exits 0 with every threshold met and its summary written`, async () => {
      if (!K6_SCRIPT_EXPECTATIONS[name])
        throw new Error(`load/k6/${name}.ts has no expectation in test-support/k6-expectations.ts: declare one`);
      const r = await runScript(name);
      expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
      expect(r.summary).toBeDefined();
      expect(summaryPasses(r.summary!)).toBe(true);
      expect(r.stdout).toMatch(/result: PASS/);
      expect(r.junit).toMatch(/failures="0"/);
    }, 120_000);
  }
});

describe('the k6 scripts fail when they should', () => {
  it("supplier: exits with k6's threshold code (99) against a supplier with --fault slow, P95 over 400 ms", async () => {
    const r = await runScript('supplier-p95-at-25tps', { SUPPLIER_URL: slowSupplierUrl });
    expect([r.code, outcome(r)]).toEqual([K6_THRESHOLDS_FAILED, outcome(r)]);
    const failed = thresholdResults(r.summary!).filter((t) => !t.ok);
    expect(failed.map((t) => t.metric)).toEqual(['http_req_duration{scenario:supplier-standard}']);
    expect(r.junit).toMatch(/<testcase name="p95: P95 latency at most 400 ms"[^>]*>\s*<failure/);
  }, 120_000);

  it('records: without RECORDS_CLIENT_ID, setup() aborts the run (exit 108) with the reason, and it does not pass', async () => {
    const r = await runScript('records-bulk-upload', { RECORDS_CLIENT_ID: '' });
    expect([r.code, outcome(r)]).toEqual([K6_SCRIPT_ABORTED, outcome(r)]);
    expect(r.stderr).toContain('a records run needs the Record Service client: set RECORDS_CLIENT_ID');
    expect(r.stdout).toMatch(/result: FAIL/);
  }, 120_000);

  it('aggregator: a platform that answers nothing but errors fails the success threshold, not just the error rate', async () => {
    // Every request refused: no successful request at all.
    const r = await runScript('aggregator-p95-at-25tps', { TARGET_URL: 'http://127.0.0.1:9', DURATION: '2s' });
    expect([r.code, outcome(r)]).toEqual([K6_THRESHOLDS_FAILED, outcome(r)]);
    const failed = thresholdResults(r.summary!).filter((t) => !t.ok);
    expect(failed.map((t) => t.metric).sort()).toEqual([
      'http_req_failed{scenario:aggregator}',
      'http_reqs{scenario:aggregator,expected_response:true}',
    ]);
  }, 120_000);
});

describe('what each script shows', () => {
  it('throttle: 429s once the rate passes 60/s, none below it', async () => {
    const r = await runScript('throttle-429-above-60tps');
    expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
    // A Rate's "passes" are the requests answered 429.
    expect(metricValue(r, K6_METRICS.throttledBelow, 'passes')).toBe(0);
    expect(metricValue(r, K6_METRICS.throttledBelow, 'fails')).toBeGreaterThan(0);
    expect(metricValue(r, K6_METRICS.throttledAbove, 'passes')).toBeGreaterThan(0);
  }, 120_000);

  it('records: reports acknowledged batches and the platform reconciliation count for the client', async () => {
    const r = await runScript('records-bulk-upload');
    expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
    const batches = metricValue(r, K6_METRICS.batchesAcknowledged, 'count');
    expect(batches).toBeGreaterThan(0);
    const reconciled = stack.platform.store.countDistinct(STACK_RECORDS_CLIENT.clientId, new Date());
    expect(reconciled).toBeGreaterThan(0);
    expect(metricValue(r, K6_METRICS.reconciliation, 'value')).toBe(reconciled);
    expect(r.stdout).toContain(
      `reconciliation: the platform counts ${reconciled} distinct NHS numbers for ${STACK_RECORDS_CLIENT.clientId}`,
    );
  }, 120_000);

  it("the k6-operator TestRun's pods: each runs RATE / parallelism of the bundled script's arrivals", async () => {
    const manifest = YAML.parse(readFileSync(path.join(K6_SCRIPT_DIR, 'operator', 'testrun.yaml'), 'utf8')) as {
      spec: {
        parallelism: number;
        script: { configMap: { file: string } };
        runner: { env: Array<{ name: string; value: string }> };
      };
    };
    const { parallelism } = manifest.spec;
    const rate = Number(manifest.spec.runner.env.find((e) => e.name === 'RATE')!.value);
    const out = mkdtempSync(path.join(tmpdir(), 'pca-k6-operator-'));
    try {
      await bundleK6Scripts(out);
      // What the operator gives its first pod: one execution segment of `parallelism`.
      const sequence = Array.from({ length: parallelism + 1 }, (_, i) =>
        i === 0 ? '0' : i === parallelism ? '1' : `${i}/${parallelism}`,
      );
      const r = await runK6(
        bin,
        path.join(out, manifest.spec.script.configMap.file),
        {
          PACK: stack.packFile,
          PLATFORM_URL: stack.platformUrl,
          SUPPLIER_URL: stack.supplierUrl,
          RATE: String(rate),
          DURATION: '4s',
        },
        {
          profile: 'supplier-standard',
          args: ['--execution-segment', `0:1/${parallelism}`, '--execution-segment-sequence', sequence.join(',')],
        },
      );
      expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
      // An arrival-rate executor starts its planned iterations on schedule, so the count is the plan (k6
      // also starts one at the very end): this pod's share, not the whole RATE (which would be 400).
      const planned = (rate / parallelism) * 4;
      expect([planned, planned + 1]).toContain(metricValue(r, 'iterations', 'count'));
      expect(metricValue(r, 'dropped_iterations', 'count') ?? 0).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('the esbuild bundle (npm run load:bundle) runs under k6 too', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pca-k6-bundle-'));
    try {
      const built = await bundleK6Scripts(out);
      expect(built.errors).toEqual([]);
      const r = await runScript('supplier-p95-at-25tps', {}, path.join(out, 'supplier-p95-at-25tps.js'));
      expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
      expect(summaryPasses(r.summary!)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('one profile, two engines, one answer', () => {
  async function runner(target: string): Promise<LoadReport> {
    return runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs: 4_000 },
      target,
      credentials: {
        tokenUrl: `${target}/oauth2/token`,
        clientId: LOCAL_DEFAULTS.supplierClientId,
        clientSecret: LOCAL_DEFAULTS.supplierClientSecret,
      },
      platformUrl: stack.platformUrl,
      pack: stack.pack,
    });
  }

  /** Test-case name -> passed, from a JUnit file. */
  function caseVerdicts(xml: string): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const m of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g))
      out[m[1]!] = !m[2]!.includes('<failure');
    return out;
  }

  for (const [label, fault] of [
    ['the reference supplier: both pass', false],
    ['a supplier with --fault slow: both fail P95', true],
  ] as const) {
    it(`supplier-standard against ${label}, with the same JUnit test cases`, async () => {
      const target = fault ? slowSupplierUrl : stack.supplierUrl;
      const report = await runner(target);
      const k6 = await runScript('supplier-p95-at-25tps', { SUPPLIER_URL: target, DURATION: '4s' });
      const k6Pass = k6.code === 0;
      expect([k6Pass, outcome(k6)]).toEqual([!fault, outcome(k6)]);
      expect(report.pass).toBe(k6Pass);

      const runnerJUnit = renderLoadJUnit(report);
      // producer:WF-NFR-02 (an answer after 9,000 ms must be a 504) is observed by the built-in runner only:
      // the k6 scripts do not time it yet. Every other case is the same in both, with the same verdict.
      const runnerOnly = (name: string) => /^deadline: /.test(name);
      expect(junitCaseNames(runnerJUnit).filter(runnerOnly)).toHaveLength(1);
      expect(junitCaseNames(k6.junit!).sort()).toEqual(
        junitCaseNames(runnerJUnit)
          .filter((n) => !runnerOnly(n))
          .sort(),
      );
      const shared = Object.entries(caseVerdicts(runnerJUnit)).filter(([n]) => !runnerOnly(n));
      expect(caseVerdicts(k6.junit!)).toEqual(Object.fromEntries(shared));
    }, 120_000);
  }
});

describe('docker compose --profile load run --rm k6, without Docker', () => {
  interface Service {
    command: string[];
    environment?: Record<string, string>;
  }

  it("runs the k6 service's command and environment against the CLI's supplier and the pack load-pack writes", async () => {
    const compose = YAML.parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, Service>;
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-k6-compose-'));
    // The supplier as the compose service starts it (the CLI's own defaults), trusting the platform.
    const cmd = compose.services.supplier!.command;
    expect(cmd[0]).toBe('supplier');
    const supplier = await startSupplier(
      { out: () => undefined, err: () => undefined, isTty: false, env: { PCA_HARNESS_LOG_LEVEL: 'silent' }, cwd: dir },
      { port: 0, host: '127.0.0.1', nhsLoginIssuer: `${stack.platformUrl}/nhs-login` },
    );
    try {
      // The one-shot load-pack service, with /pack mapped to a folder here.
      const packCmd = compose.services['load-pack']!.command.map((a) => a.replace(/^\/pack\//, `${dir}/`));
      const made = await runCli(packCmd);
      expect([made.code, made.stderr]).toEqual([0, '']);

      const k6 = compose.services.k6!;
      const hostnames = (v: string): string =>
        v
          .replace('http://platform:7070', stack.platformUrl)
          .replace('http://supplier:7171', supplier.supplier.url)
          .replace(/^\/pack\//, `${dir}/`)
          .replace(/^\/reports$/, dir);
      const env = Object.fromEntries(Object.entries(k6.environment ?? {}).map(([k, v]) => [k, hostnames(v)]));
      expect(k6.command[0]).toBe('run');
      const script = k6.command[k6.command.length - 1]!.replace(/^\/work\//, '');
      // This run is about the wiring (pack, URLs, credentials, report folder); the 400 ms verdict is the
      // supplier runs' above, and a freshly started CLI supplier on a busy machine can miss it.
      const r = await runK6(bin, script, { ...env, DURATION: '5s', P95_MS: '2000' }, { profile: 'supplier-standard' });
      expect([r.code, outcome(r)]).toEqual([0, outcome(r)]);
      expect(readFileSync(path.join(dir, 'supplier-standard-junit.xml'), 'utf8')).toMatch(/failures="0"/);
      expect(r.stdout).toMatch(/check ok {3}status is 200: [1-9]\d* passed, 0 failed/);
    } finally {
      await supplier.supplier.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
