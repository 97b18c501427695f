/**
 * A real k6 for `npm run test:k6` and `npm run bench`: where the binary is, a run of one script with
 * its summary read back, and the local stack (mock platform + reference supplier, in-process on free
 * ports) the scripts run against.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import type { RunningServer } from '../core/http';
import { listen } from '../core/http';
import { buildDefaultPack, loadPack } from '../fixtures/default-pack';
import type { FixturePack } from '../fixtures/pack';
import { LOCAL_DEFAULTS } from '../load/profile-data';
import type { K6SummaryData } from '../load/k6/lib/summary';
import { createPlatform, type Platform } from '../mocks/platform';
import { createSupplierApp } from '../mocks/supplier/app';
import type { FaultName } from '../mocks/supplier/faults';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const K6_SCRIPT_DIR = path.join(REPO_ROOT, 'load', 'k6');

/** k6's exit code when a threshold failed (k6 errext: ThresholdsHaveFailed). */
export const K6_THRESHOLDS_FAILED = 99;
/** k6's exit code when the script called `exec.test.abort()` (ScriptAborted). */
export const K6_SCRIPT_ABORTED = 108;

export class K6NotFoundError extends Error {
  constructor(detail: string) {
    super(
      `no k6 to run: ${detail}. Set K6_BIN to a k6 binary (k6 >= 0.57 runs the TypeScript scripts), ` +
        'or put k6 on PATH (https://grafana.com/docs/k6/latest/set-up/install-k6/).',
    );
    this.name = 'K6NotFoundError';
  }
}

/** The k6 to run: K6_BIN, else `k6` on PATH; a K6NotFoundError that says what to do when neither exists. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.K6_BIN;
  if (given) {
    const bin = path.resolve(REPO_ROOT, given);
    if (!existsSync(bin)) throw new K6NotFoundError(`K6_BIN is ${given}, and there is no file at ${bin}`);
    return bin;
  }
  const probe = spawnSync('k6', ['version'], { encoding: 'utf8', env });
  if (probe.error || probe.status !== 0) throw new K6NotFoundError('K6_BIN is not set and there is no k6 on PATH');
  return 'k6';
}

export function k6Version(bin: string): string {
  return spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout.trim();
}

export interface K6Run {
  code: number;
  stdout: string;
  stderr: string;
  /** handleSummary's JSON, when the run got that far. */
  summary?: K6SummaryData;
  /** handleSummary's JUnit XML, when the run got that far. */
  junit?: string;
  reportDir: string;
}

/**
 * Runs one script (a load/k6 TypeScript file or a bundled .js) with REPORT_DIR in a fresh folder,
 * and reads back what handleSummary wrote there for `profile`.
 */
export async function runK6(
  bin: string,
  script: string,
  env: Record<string, string>,
  opts: { profile?: string; timeoutMs?: number; args?: string[] } = {},
): Promise<K6Run> {
  const reportDir = mkdtempSync(path.join(tmpdir(), 'pca-k6-run-'));
  const child = spawn(bin, ['run', '--quiet', '--no-color', '--address', '', ...(opts.args ?? []), script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), REPORT_DIR: reportDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  }).finally(() => clearTimeout(timer));
  const read = (file: string): string | undefined => {
    const f = path.join(reportDir, file);
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  const json = opts.profile ? read(`${opts.profile}-summary.json`) : undefined;
  const junit = opts.profile ? read(`${opts.profile}-junit.xml`) : undefined;
  return {
    code,
    stdout,
    stderr,
    ...(json ? { summary: JSON.parse(json) as K6SummaryData } : {}),
    ...(junit ? { junit } : {}),
    reportDir,
  };
}

/** The JUnit test-case names in a file, in order. */
export function junitCaseNames(xml: string): string[] {
  return [...xml.matchAll(/<testcase name="([^"]*)"/g)].map((m) =>
    m[1]!
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );
}

/** The Record Service client the stack's platform knows, with its API key. */
export const STACK_RECORDS_CLIENT = { clientId: 'k6-records', apiKey: 'k6-records-api-key' } as const;

export interface LoadStack {
  platform: Platform;
  platformUrl: string;
  supplierUrl: string;
  pack: FixturePack;
  /** The pack as a file, for the scripts' PACK. */
  packFile: string;
  /** Starts another reference supplier (e.g. with a fault) trusting the same platform; closed with the stack. */
  supplier(opts?: { fault?: FaultName; latencyMs?: number }): Promise<string>;
  close(): Promise<void>;
}

/** The mock platform and the reference supplier in-process on free loopback ports, sharing today's default pack. */
export async function startLoadStack(): Promise<LoadStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pca-k6-stack-'));
  const pack = buildDefaultPack(new Date());
  const packFile = path.join(dir, 'pack.json');
  writeFileSync(packFile, JSON.stringify(pack));
  const config: HarnessConfig = structuredClone(DEFAULT_CONFIG);
  config.platform.clients = [
    { clientId: STACK_RECORDS_CLIENT.clientId, apiKey: STACK_RECORDS_CLIENT.apiKey, resourceType: 'Appointment' },
  ];
  const platform = createPlatform({ config, pack, stateDir: ':memory:' });
  const platformUrl = (await platform.start(0, '127.0.0.1')).url;
  const suppliers: RunningServer[] = [];
  const supplier = async (opts: { fault?: FaultName; latencyMs?: number } = {}): Promise<string> => {
    const s = await listen(
      createSupplierApp({
        pack,
        nhsLoginIssuer: `${platformUrl}/nhs-login`,
        clientId: LOCAL_DEFAULTS.supplierClientId,
        clientSecret: LOCAL_DEFAULTS.supplierClientSecret,
        ...(opts.fault ? { fault: opts.fault } : {}),
        ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
      }),
    );
    suppliers.push(s);
    return s.url;
  };
  const supplierUrl = await supplier();
  return {
    platform,
    platformUrl,
    supplierUrl,
    pack,
    packFile,
    supplier,
    async close() {
      await Promise.all(suppliers.map((s) => s.close()));
      await platform.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RemoteLoadStack {
  platformUrl: string;
  supplierUrl: string;
  /** A reference supplier with `--fault slow`. */
  slowSupplierUrl: string;
  packFile: string;
  pack: FixturePack;
  close(): Promise<void>;
}

/** startLoadStack in a child process (test-support/load-stack-main.ts), so load generators do not share its event loop. */
export async function startLoadStackProcess(): Promise<RemoteLoadStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'load-stack-main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`the load stack process exited (${code}) before it was ready`)));
  });
  const urls = JSON.parse(line) as Omit<RemoteLoadStack, 'pack' | 'close'>;
  return {
    ...urls,
    pack: loadPack(urls.packFile, new Date()),
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}
