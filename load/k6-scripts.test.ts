/**
 * The k6 scripts without k6 (`npm test` runs where there is none; `npm run test:k6` runs them
 * under a real one): their options against the profiles, the summary they write, the esbuild
 * bundle, the k6-operator manifest, and the scripts driven through setup(), their iterations and
 * handleSummary() with k6's modules replaced by recording stand-ins.
 * (Lives beside load/k6 because jest ignores that folder: it holds k6 code, not tests.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import YAML from 'yaml';
import { build, type Plugin } from 'esbuild';
import { buildDefaultPack } from '../fixtures/default-pack';
import { parse as parseJs } from 'acorn';
import { bundleK6Scripts, K6_BUNDLE_BANNER, k6Scripts } from './bundle-k6';
import {
  endpointTags,
  k6Options,
  overridesFromEnv,
  parseK6Duration,
  thresholdsFor,
  verdictOfMetric,
} from './k6/lib/options';
import {
  summaryPasses,
  summaryText,
  summaryToJUnitSuites,
  thresholdResults,
  type K6SummaryData,
} from './k6/lib/summary';
import { applyOverrides, PROFILES, verdictTitle, type LoadProfile } from './profile-data';
import { renderJUnit } from '../suites/report/junit';
import { findK6 } from '../test-support/k6';
import { K6_SCRIPT_EXPECTATIONS } from '../test-support/k6-expectations';

const profile = (name: string): LoadProfile => PROFILES[name]!;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-k6-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('k6 options from the profiles', () => {
  it('supplier-standard: constant-arrival-rate at 25/s for 60 s, P95 <= 400 ms, errors < 1%, at least one success', () => {
    const o = k6Options(profile('supplier-standard'), { verify: false });
    expect(o.scenarios).toEqual({
      'supplier-standard': {
        executor: 'constant-arrival-rate',
        rate: 25,
        timeUnit: '1s',
        duration: '60000ms',
        preAllocatedVUs: 30,
        maxVUs: 200,
        tags: { profile: 'supplier-standard' },
      },
    });
    // Only the scenario's requests: setup()'s token requests are not load. One endpoint, so no per-endpoint budget.
    expect(o.thresholds).toEqual({
      'http_req_duration{scenario:supplier-standard}': ['p(95)<=400'],
      'http_req_failed{scenario:supplier-standard}': ['rate<0.01'],
      'http_reqs{scenario:supplier-standard,expected_response:true}': ['count>0'],
      dropped_iterations: ['count==0'],
    });
    expect(o.discardResponseBodies).toBe(true);
  });

  it('default applies the project budget of 1,000 ms; --p95 style overrides reach the thresholds', () => {
    expect(thresholdsFor(profile('default'), false)['http_req_duration{scenario:default}']).toEqual(['p(95)<=1000']);
    const p = applyOverrides(
      profile('supplier-standard'),
      overridesFromEnv({ P95_MS: '250', RATE: '10', DURATION: '1m30s' }),
    );
    const o = k6Options(p, { verify: true });
    expect(o.thresholds!['http_req_duration{scenario:supplier-standard}']).toEqual(['p(95)<=250']);
    expect(o.thresholds!.checks).toEqual(['rate>0.99']);
    expect(o.scenarios!['supplier-standard']).toMatchObject({ rate: 10, duration: '90000ms' });
    expect(o.discardResponseBodies).toBe(false);
  });

  it('aggregator: /aggregator/events tagged "events", 1,000 ms', () => {
    expect(endpointTags(profile('aggregator'))).toEqual(['events']);
    expect(thresholdsFor(profile('aggregator'), false)['http_req_duration{scenario:aggregator}']).toEqual([
      'p(95)<=1000',
    ]);
  });

  it('a P95 budget per endpoint where a profile spreads over several endpoints, as the built-in runner has', () => {
    const spread = { ...profile('supplier-standard'), mix: { eligible: 1, resources: { Appointment: 2, Task: 1 } } };
    const t = thresholdsFor(spread, false);
    expect(t['http_req_duration{scenario:supplier-standard,endpoint:Appointment}']).toEqual(['p(95)<=400']);
    expect(t['http_req_duration{scenario:supplier-standard,endpoint:Task}']).toEqual(['p(95)<=400']);
  });

  it('every profile has a threshold that a run with no successful request cannot pass', () => {
    for (const p of Object.values(PROFILES)) {
      const t = thresholdsFor(p, false);
      const success =
        p.target === 'records'
          ? t.records_batches_acknowledged
          : t[`http_reqs{scenario:${p.name},expected_response:true}`];
      expect([p.name, success]).toEqual([p.name, ['count>0']]);
    }
  });

  it("maps each threshold to the built-in runner's verdict, so both engines' JUnit cases have the same names", () => {
    expect(verdictOfMetric('http_req_duration{scenario:supplier-standard}')).toBe('p95');
    expect(verdictOfMetric('http_req_duration{scenario:x,endpoint:Task}')).toBe('p95:Task');
    expect(verdictOfMetric('http_req_failed{scenario:x}')).toBe('errors');
    expect(verdictOfMetric('http_reqs{scenario:x,expected_response:true}')).toBe('errors');
    expect(verdictOfMetric('http_reqs{scenario:x}')).toBeUndefined();
    expect(verdictOfMetric('records_batches_acknowledged')).toBe('errors');
    expect(verdictOfMetric('checks')).toBe('errors');
    expect(verdictOfMetric('dropped_iterations')).toBe('rate');
    expect(verdictOfMetric('throttled_below_limit')).toBe('throttle-below');
    expect(verdictOfMetric('throttled_above_limit')).toBe('throttle-above');
    expect(verdictOfMetric('vus_max')).toBeUndefined();
    // Every threshold of every profile belongs to a verdict the profile has.
    for (const p of Object.values(PROFILES))
      for (const metric of Object.keys(thresholdsFor(p, true))) {
        const id = verdictOfMetric(metric);
        expect([p.name, metric, id !== undefined && verdictTitle(p, id) !== undefined]).toEqual([p.name, metric, true]);
      }
  });

  it('throttle: ramping-arrival-rate past 60 TPS, no errors but 429, and the throttle rates', () => {
    const o = k6Options(profile('throttle'), { verify: false });
    expect(o.scenarios!.throttle).toEqual({
      executor: 'ramping-arrival-rate',
      startRate: 30,
      timeUnit: '1s',
      stages: [
        { duration: '30000ms', target: 90 },
        { duration: '10000ms', target: 90 },
      ],
      preAllocatedVUs: 185,
      maxVUs: 400,
      tags: { profile: 'throttle' },
    });
    expect(o.thresholds).toMatchObject({
      'http_req_failed{scenario:throttle}': ['rate==0'],
      throttled_below_limit: ['rate==0'],
      throttled_above_limit: ['rate>0'],
    });
  });

  it('records-bulk: keeps response bodies (acknowledgements are counted from them) and takes BATCH_SIZE', () => {
    const p = applyOverrides(profile('records-bulk'), overridesFromEnv({ BATCH_SIZE: '5000' }));
    expect(p.batchSize).toBe(5000);
    expect(k6Options(p, { verify: false }).discardResponseBodies).toBe(false);
    expect(() => applyOverrides(profile('records-bulk'), overridesFromEnv({ BATCH_SIZE: '5001' }))).toThrow(
      /at most|from 1 to 5000/,
    );
  });

  it('reads k6 durations and refuses bad environment values with the variable named', () => {
    expect(parseK6Duration('D', '90s')).toBe(90_000);
    expect(parseK6Duration('D', '2m')).toBe(120_000);
    expect(parseK6Duration('D', '1m30s')).toBe(90_000);
    expect(parseK6Duration('D', '1500ms')).toBe(1500);
    expect(parseK6Duration('D', '20')).toBe(20_000);
    expect(() => parseK6Duration('DURATION', 'soon')).toThrow('DURATION must be a duration like 30s');
    expect(() => overridesFromEnv({ RATE: 'fast' })).toThrow('RATE must be a number, got "fast"');
    expect(() => overridesFromEnv({ MAX_VUS: '2.5' })).toThrow('MAX_VUS must be a whole number');
    expect(() => overridesFromEnv({ API: 'ftp' })).toThrow('API must be one of supplier, aggregator, records');
    expect(() => applyOverrides(profile('throttle'), overridesFromEnv({ RATE: '10' }))).toThrow(
      /--rate does not apply/,
    );
  });
});

describe('handleSummary output', () => {
  const data: K6SummaryData = {
    state: { testRunDurationMs: 20_000 },
    metrics: {
      http_req_duration: {
        type: 'trend',
        contains: 'time',
        values: { med: 101, 'p(90)': 103, 'p(95)': 431.5, 'p(99)': 480, max: 510 },
        thresholds: { 'p(95)<=400': { ok: false } },
      },
      http_req_failed: {
        type: 'rate',
        values: { rate: 0, passes: 0, fails: 500 },
        thresholds: { 'rate<0.01': { ok: true } },
      },
      http_reqs: { type: 'counter', values: { count: 500, rate: 25 } },
    },
    root_group: { checks: [{ name: 'X-Correlation-ID echoed', passes: 498, fails: 2 }], groups: [] },
  };

  it('judges each threshold with the value it was judged on', () => {
    expect(thresholdResults(data)).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<=400', ok: false, observed: 431.5 },
      { metric: 'http_req_failed', expression: 'rate<0.01', ok: true, observed: 0 },
    ]);
    expect(summaryPasses(data)).toBe(false);
  });

  it('writes one JUnit case per threshold, failing the ones k6 failed', () => {
    const xml = renderJUnit(summaryToJUnitSuites(data, 'supplier-standard'));
    expect(xml).toMatch(/<testsuite name="k6 supplier-standard" tests="2" failures="1"/);
    expect(xml).toContain(
      '<testcase name="http_req_duration: p(95)&lt;=400" classname="k6.supplier-standard" time="20.000">',
    );
    expect(xml).toContain('message="http_req_duration p(95)&lt;=400 not met (observed 431.500)"');
    expect(xml).toContain('<property name="check: X-Correlation-ID echoed" value="498 passed, 2 failed"/>');
  });

  it('prints a readable text summary', () => {
    const text = summaryText(data, 'supplier-standard');
    expect(text).toContain('k6 supplier-standard: 500 requests at 25 req/s');
    expect(text).toContain('FAIL  http_req_duration p(95)<=400 (observed 431.500)');
    expect(text).toContain('check FAIL X-Correlation-ID echoed: 498 passed, 2 failed');
    expect(text.trimEnd().endsWith('result: FAIL')).toBe(true);
  });
});

describe('npm run test:k6 without k6', () => {
  it('declares what test:k6 expects of every script in load/k6/, so a new script cannot be skipped silently', () => {
    expect(k6Scripts().map((f) => path.basename(f, '.ts'))).toEqual(Object.keys(K6_SCRIPT_EXPECTATIONS).sort());
  });

  it('says where k6 comes from when there is none', () => {
    expect(() => findK6({ K6_BIN: 'no/such/k6' })).toThrow(
      /no k6 to run: K6_BIN is no\/such\/k6, and there is no file at .*no\/such\/k6\. Set K6_BIN to a k6 binary/,
    );
    expect(() => findK6({ PATH: dir })).toThrow(
      'no k6 to run: K6_BIN is not set and there is no k6 on PATH. Set K6_BIN to a k6 binary',
    );
  });
});

describe('npm run load:bundle', () => {
  it('bundles every script with esbuild, k6 modules left as imports and nothing from Node', async () => {
    const out = path.join(dir, 'bundle');
    const r = await bundleK6Scripts(out);
    expect(r.errors).toEqual([]);
    const names = k6Scripts().map((f) => path.basename(f, '.ts'));
    expect(names).toEqual([
      'aggregator-p95-at-25tps',
      'aggregator-waiting-times',
      'records-bulk-upload',
      'supplier-p95-at-25tps',
      'throttle-429-above-60tps',
    ]);
    for (const n of names) {
      const js = readFileSync(path.join(out, `${n}.js`), 'utf8');
      expect(js.startsWith(K6_BUNDLE_BANNER)).toBe(true);
      // ES2015 is what every k6 parses: k6 0.48 dies on `??` with a SyntaxError.
      expect(() => parseJs(js, { ecmaVersion: 2015, sourceType: 'module' })).not.toThrow();
      expect(js).not.toMatch(/\?\?|\?\./);
      expect(js).toMatch(/^import http from "k6\/http";$/m);
      expect(js).toMatch(/export \{[^}]*\boptions\b[^}]*\}/s);
      expect(js).not.toMatch(/from "(node:)?(fs|path|crypto|http)"|require\(/);
    }
  });
});

describe('the k6-operator TestRun (load/k6/operator/testrun.yaml)', () => {
  interface TestRun {
    apiVersion: string;
    kind: string;
    spec: {
      parallelism: number;
      script: { configMap: { name: string; file: string } };
      runner: { image: string; env: Array<{ name: string; value: string }> };
    };
  }

  it('parses as YAML, runs a script the bundle produces, and splits a whole rate over its pods', async () => {
    const manifest = YAML.parse(
      readFileSync(path.join(__dirname, 'k6', 'operator', 'testrun.yaml'), 'utf8'),
    ) as TestRun;
    expect(manifest.apiVersion).toBe('k6.io/v1alpha1');
    expect(manifest.kind).toBe('TestRun');
    const out = path.join(dir, 'operator-bundle');
    const built = await bundleK6Scripts(out);
    const produced = Object.keys(built.metafile!.outputs).map((f) => path.basename(f));
    expect(produced).toContain(manifest.spec.script.configMap.file);

    const { parallelism } = manifest.spec;
    expect(Number.isInteger(parallelism) && parallelism > 1).toBe(true);
    const env = Object.fromEntries(manifest.spec.runner.env.map((e) => [e.name, e.value]));
    // The operator mounts the ConfigMap (script and pack) at /test.
    expect(env.PACK).toMatch(/^\/test\/[^/]+\.json$/);
    // The overrides are ones the script accepts; RATE is the total, each pod runs RATE / parallelism.
    const overrides = overridesFromEnv(env);
    expect(overrides.rate! % parallelism).toBe(0);
    const perPod = applyOverrides(profile('supplier-standard'), { ...overrides, rate: overrides.rate! / parallelism });
    expect(perPod.rate).toBe(25);
    expect(manifest.spec.runner.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
  });
});

/** k6's modules replaced by stand-ins that record what the script does; the network is faked. */
function k6StandIns(): {
  plugin: Plugin;
  calls: Array<{ method: string; url: string; body?: unknown; params?: Record<string, unknown> }>;
  checks: Record<string, boolean[]>;
  metrics: Record<string, unknown[]>;
  exec: { iterationInTest: number };
} {
  const calls: Array<{ method: string; url: string; body?: unknown; params?: Record<string, unknown> }> = [];
  const checks: Record<string, boolean[]> = {};
  const metrics: Record<string, unknown[]> = {};
  const exec = { iterationInTest: 0 };
  (globalThis as Record<string, unknown>).__k6 = { calls, checks, metrics, exec };
  const sources: Record<string, string> = {
    k6: `const s = globalThis.__k6;
      export function check(v, sets) { let all = true; for (const [n, f] of Object.entries(sets)) { const ok = !!f(v); (s.checks[n] ||= []).push(ok); all = all && ok; } return all; }
      export function fail(m) { throw new Error(m); }`,
    'k6/http': `const s = globalThis.__k6;
      function respond(method, url, body, params) {
        s.calls.push({ method, url, body, params });
        const h = (params && params.headers) || {};
        const json = url.endsWith('/_harness/id-token') ? { id_token: 'id-token-for-' + JSON.parse(body).nhsNumber }
          : url.endsWith('/oauth2/token') ? { access_token: 'access-token' }
          : url.endsWith('/records') ? { result: 'success' }
          : url.includes('/_harness/records/reconciliation') ? { distinctNhsNumbers: 200 }
          : { resourceType: 'Bundle', type: 'searchset', total: 0 };
        return { status: 200, headers: { 'X-Correlation-Id': h['X-Correlation-ID'] }, body: JSON.stringify(json), json: () => json };
      }
      export default {
        get: (url, params) => respond('GET', url, undefined, params),
        post: (url, body, params) => respond('POST', url, body, params),
        expectedStatuses: (...s) => ({ expected: s }),
      };`,
    'k6/encoding': 'export default { b64encode: (s) => Buffer.from(s).toString("base64") };',
    'k6/execution':
      'const s = globalThis.__k6; export default { scenario: { get iterationInTest() { return s.exec.iterationInTest; }, startTime: Date.now() }, test: { abort(m) { throw new Error("test aborted: " + m); } } };',
    'k6/data': 'export class SharedArray { constructor(name, fn) { return fn(); } }',
    'k6/metrics': `const s = globalThis.__k6;
      class M { constructor(n) { this.n = n; } add(v) { (s.metrics[this.n] ||= []).push(v); } }
      export class Counter extends M {} export class Gauge extends M {} export class Rate extends M {}`,
  };
  const plugin: Plugin = {
    name: 'k6-stand-ins',
    setup(b) {
      b.onResolve({ filter: /^k6(\/.*)?$/ }, (a) => ({ path: a.path, namespace: 'k6' }));
      b.onLoad({ filter: /.*/, namespace: 'k6' }, (a) => ({ contents: sources[a.path], loader: 'js' }));
    },
  };
  return { plugin, calls, checks, metrics, exec };
}

interface LoadedScript {
  options: unknown;
  setup: () => unknown;
  default: (d: unknown) => void;
  teardown?: () => void;
  handleSummary: (d: K6SummaryData) => Record<string, string>;
}

/** Bundles a script with k6's modules swapped for the stand-ins and evaluates it as k6 would at init. */
async function loadScript(file: string, env: Record<string, string>, plugin: Plugin): Promise<LoadedScript> {
  const out = await build({
    entryPoints: [path.join(__dirname, 'k6', file)],
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2020',
    write: false,
    plugins: [plugin],
    logLevel: 'silent',
  });
  const mod = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(out.outputFiles[0]!.text, {
    module: mod,
    exports: mod.exports,
    __ENV: env,
    open: (f: string) => readFileSync(f, 'utf8'),
    globalThis,
    Buffer,
    console,
    Date,
    Math,
    JSON,
  });
  return mod.exports as unknown as LoadedScript;
}

describe('the k6 scripts, run on k6 stand-ins', () => {
  let packFile: string;
  beforeAll(() => {
    packFile = path.join(dir, 'pack.json');
    writeFileSync(packFile, JSON.stringify(buildDefaultPack(new Date())));
  });

  it('supplier: mints ID tokens and an access token in setup(), then sends what the PCA sends, tagged by endpoint', async () => {
    const k6 = k6StandIns();
    const script = await loadScript(
      'supplier-p95-at-25tps.ts',
      {
        PACK: packFile,
        SUPPLIER_URL: 'http://supplier.test',
        PLATFORM_URL: 'http://platform.test',
        RATE: '5',
        REPORT_DIR: 'out/k6',
      },
      k6.plugin,
    );

    expect(script.options).toEqual(
      k6Options(applyOverrides(profile('supplier-standard'), { rate: 5 }), { verify: false }),
    );

    const data = script.setup() as { bearer: string; patients: Array<{ nhsNumber: string; idToken: string }> };
    const mints = k6.calls.filter((c) => c.url === 'http://platform.test/nhs-login/_harness/id-token');
    expect(mints.length).toBe(data.patients.length);
    expect(data.patients.length).toBeGreaterThan(0);
    expect(data.patients.every((p) => p.idToken === `id-token-for-${p.nhsNumber}`)).toBe(true);
    const tokenCall = k6.calls.find((c) => c.url === 'http://supplier.test/oauth2/token')!;
    expect((tokenCall.params!.headers as Record<string, string>).Authorization).toBe(
      `Basic ${Buffer.from('pca-aggregator:pca-harness-local-secret').toString('base64')}`,
    );
    expect(data.bearer).toBe('access-token');

    k6.calls.length = 0;
    for (let i = 0; i < 10; i++) {
      k6.exec.iterationInTest = i;
      script.default(data);
    }
    expect(k6.calls).toHaveLength(10);
    const first = k6.calls[0]!;
    expect(first.method).toBe('GET');
    expect(first.url).toBe(
      `http://supplier.test/Appointment?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${data.patients[0]!.nhsNumber}`)}`,
    );
    const headers = first.params!.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer access-token');
    expect(headers['NHSD-ID-Token']).toBe(`id-token-for-${data.patients[0]!.nhsNumber}`);
    expect(headers['X-Correlation-ID']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(first.params!.tags).toEqual({ name: 'Appointment', endpoint: 'Appointment' });
    expect(first.params!.responseCallback).toEqual({ expected: [200] });
    expect(k6.checks).toEqual({
      'status is 200': Array(10).fill(true),
      'X-Correlation-ID echoed': Array(10).fill(true),
    });

    const files = script.handleSummary({
      metrics: {
        http_req_duration: { type: 'trend', values: { 'p(95)': 12 }, thresholds: { 'p(95)<=400': { ok: true } } },
      },
    });
    expect(Object.keys(files).sort()).toEqual([
      'out/k6/supplier-standard-junit.xml',
      'out/k6/supplier-standard-summary.json',
      'stdout',
    ]);
    expect(files['out/k6/supplier-standard-junit.xml']).toMatch(/tests="1" failures="0"/);
  });

  it('throttle: accepts 429 and records whether it came below or above the limit', async () => {
    const k6 = k6StandIns();
    const script = await loadScript(
      'throttle-429-above-60tps.ts',
      { PACK: packFile, BEARER: 'given-token', API: 'aggregator', PLATFORM_URL: 'http://platform.test' },
      k6.plugin,
    );
    const data = script.setup() as { bearer: string };
    expect(data.bearer).toBe('given-token');
    expect(k6.calls.some((c) => c.url.endsWith('/oauth2/token'))).toBe(false);
    k6.calls.length = 0;
    script.default(data);
    expect(k6.calls[0]!.url).toMatch(/^http:\/\/platform\.test\/aggregator\/events\?patient:identifier=/);
    expect(k6.calls[0]!.params!.responseCallback).toEqual({ expected: [200, 429] });
    expect(k6.calls[0]!.params!.tags).toEqual({ name: 'events', endpoint: 'events' });
    // The run has just started, at 30/s: well below the limit.
    expect(k6.metrics.throttled_below_limit).toEqual([false]);
    expect(k6.metrics.throttled_above_limit).toBeUndefined();
  });

  it('records: setup() stops the run before any request when RECORDS_CLIENT_ID is missing, saying what to set', async () => {
    const k6 = k6StandIns();
    const script = await loadScript(
      'records-bulk-upload.ts',
      { PACK: packFile, PLATFORM_URL: 'http://platform.test' },
      k6.plugin,
    );
    expect(() => script.setup()).toThrow(
      'test aborted: pca-harness: a records run needs the Record Service client: set RECORDS_CLIENT_ID',
    );
    expect(k6.calls).toEqual([]);
  });

  it('setup() refuses a URL that is not http(s), naming the variable', async () => {
    const k6 = k6StandIns();
    const script = await loadScript(
      'supplier-p95-at-25tps.ts',
      { PACK: packFile, SUPPLIER_URL: 'supplier:7171' },
      k6.plugin,
    );
    expect(() => script.setup()).toThrow('SUPPLIER_URL must be an http(s) URL, got "supplier:7171"');
    expect(k6.calls).toEqual([]);
  });

  it('handleSummary writes into the working directory when REPORT_DIR is not set (k6 creates no folders)', async () => {
    const k6 = k6StandIns();
    const script = await loadScript('aggregator-p95-at-25tps.ts', { PACK: packFile }, k6.plugin);
    const files = script.handleSummary({
      metrics: {
        'http_req_duration{scenario:aggregator}': {
          type: 'trend',
          values: { 'p(95)': 12 },
          thresholds: { 'p(95)<=1000': { ok: true } },
        },
        dropped_iterations: { type: 'counter', values: { count: 0 }, thresholds: { 'count==0': { ok: true } } },
      },
    });
    expect(Object.keys(files).sort()).toEqual(['aggregator-junit.xml', 'aggregator-summary.json', 'stdout']);
    // Named as the built-in runner names its verdicts.
    expect(files['aggregator-junit.xml']).toContain('<testcase name="p95: P95 latency at most 1000 ms"');
    expect(files['aggregator-junit.xml']).toContain('<testcase name="rate: Arrival rate held (at least 95% of plan)"');
  });

  it('records: posts the pack in batches with the API key, counts acknowledgements and reads the reconciliation count', async () => {
    const k6 = k6StandIns();
    const script = await loadScript(
      'records-bulk-upload.ts',
      { PACK: packFile, PLATFORM_URL: 'http://platform.test', RECORDS_CLIENT_ID: 'pep-01', RECORDS_API_KEY: 'key-1' },
      k6.plugin,
    );
    const data = script.setup();
    k6.exec.iterationInTest = 0;
    script.default(data);
    const post = k6.calls[0]!;
    expect(post.url).toBe('http://platform.test/records');
    expect((post.params!.headers as Record<string, string>).Authorization).toBe('Bearer key-1');
    const body = JSON.parse(post.body as string) as { clientId: string; nhsNumbers: string[] };
    expect(body.clientId).toBe('pep-01');
    expect(body.nhsNumbers).toHaveLength(200);
    expect(k6.metrics.records_batches_acknowledged).toEqual([1]);
    expect(k6.metrics.records_numbers_acknowledged).toEqual([200]);
    script.teardown!();
    expect(k6.calls[1]!.url).toBe('http://platform.test/_harness/records/reconciliation?clientId=pep-01');
    expect(k6.metrics.records_reconciliation_count).toEqual([200]);
  });
});
