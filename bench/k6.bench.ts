/**
 * The built-in runner and k6, side by side (k6 from K6_BIN, else `k6` on PATH; without one this
 * bench says so and stops):
 *
 * 1. One profile, two engines: `supplier-standard` against the reference supplier and against one
 *    with `--fault slow`, each engine for the same time against the same target: both P95s, both
 *    verdicts, and whether the P95s agree within the stated tolerance (docs/load.md).
 * 2. The load-generator ceiling: the highest arrival rate each engine holds against the same loopback
 *    target (bench/loopback-target.ts). Held = no dropped arrival, at least 99% of the plan, no error.
 *
 * Figures only: nothing here passes or fails on timing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createLoadHttpClient } from '../load/http-client';
import { summaryPasses } from '../load/k6/lib/summary';
import { LOCAL_DEFAULTS } from '../load/profile-data';
import { runLoadProfile } from '../load/run-profile';
import {
  findK6,
  K6NotFoundError,
  k6Version,
  runK6,
  startLoadStackProcess,
  type RemoteLoadStack,
} from '../test-support/k6';
import { MAX_IN_FLIGHT, runnerStep } from './load-runner.bench';
import { startLoopbackTarget } from './loopback-target';

/** The two engines' P95s agree when they differ by at most this share of the larger, or by P95_TOLERANCE_MS. */
export const P95_TOLERANCE_SHARE = 0.2;
export const P95_TOLERANCE_MS = 5;
const PROFILE_MS = 15_000;
const WARM_UP_MS = 3_000;
const STEP_MS = 3_000;
const CEILING_RATES = [250, 500, 1000, 2000, 3000, 5000, 10000, 15000, 20000, 30000];

const f = (v: number | undefined, d = 1): string => (v === undefined ? '-' : v.toFixed(d));

async function twoEngines(bin: string, stack: RemoteLoadStack): Promise<void> {
  const slow = stack.slowSupplierUrl;
  process.stdout.write(
    `\none profile, two engines: supplier-standard (P95 <= 400 ms) for ${PROFILE_MS / 1000} s each; ` +
      `P95s agree within ${P95_TOLERANCE_SHARE * 100}% or ${P95_TOLERANCE_MS} ms\n`,
  );
  process.stdout.write(
    '  target                 runner p95 ms  k6 p95 ms  runner   k6       p95s agree  verdicts agree\n',
  );
  const runner = (target: string, durationMs: number) =>
    runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs },
      target,
      credentials: {
        tokenUrl: `${target}/oauth2/token`,
        clientId: LOCAL_DEFAULTS.supplierClientId,
        clientSecret: LOCAL_DEFAULTS.supplierClientSecret,
      },
      platformUrl: stack.platformUrl,
      pack: stack.pack,
    });
  // Warm-up, not reported: a freshly started server (JIT, key caches) would count against whoever goes first.
  for (const target of [stack.supplierUrl, slow]) await runner(target, WARM_UP_MS);
  for (const [label, target] of [
    ['reference supplier', stack.supplierUrl],
    ['--fault slow', slow],
  ] as const) {
    const report = await runner(target, PROFILE_MS);
    const k6 = await runK6(
      bin,
      'load/k6/supplier-p95-at-25tps.ts',
      {
        PACK: stack.packFile,
        PLATFORM_URL: stack.platformUrl,
        SUPPLIER_URL: target,
        DURATION: `${PROFILE_MS / 1000}s`,
      },
      { profile: 'supplier-standard', timeoutMs: PROFILE_MS + 60_000 },
    );
    rmSync(k6.reportDir, { recursive: true, force: true });
    const runnerP95 = report.result.latency.p95;
    const k6P95 = k6.summary?.metrics['http_req_duration{scenario:supplier-standard}']?.values['p(95)'];
    const k6Pass = k6.summary !== undefined && k6.code === 0 && summaryPasses(k6.summary);
    const agree =
      k6P95 !== undefined &&
      Math.abs(runnerP95 - k6P95) <= Math.max(P95_TOLERANCE_MS, P95_TOLERANCE_SHARE * Math.max(runnerP95, k6P95));
    process.stdout.write(
      `  ${label.padEnd(21)}  ${f(runnerP95).padStart(13)}  ${f(k6P95).padStart(9)}  ${(report.pass ? 'PASS' : 'FAIL').padEnd(7)}  ${(k6Pass ? 'PASS' : `FAIL(${k6.code})`).padEnd(7)}  ${(agree ? 'yes' : 'NO').padEnd(10)}  ${report.pass === k6Pass ? 'yes' : 'NO'}\n`,
    );
  }
}

/** A bare GET at a constant arrival rate: what k6 itself can hold, nothing of the harness in it. */
const CEILING_SCRIPT = `
import http from 'k6/http';
const rate = Number(__ENV.RATE);
export const options = {
  discardResponseBodies: true,
  scenarios: { ceiling: { executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration: __ENV.DURATION,
    preAllocatedVUs: Math.min(${MAX_IN_FLIGHT}, Math.max(100, Math.ceil(rate / 5))), maxVUs: ${MAX_IN_FLIGHT} } },
};
export default function () { http.get(__ENV.URL); }
export function handleSummary(data) { return { [__ENV.REPORT_DIR + '/ceiling-summary.json']: JSON.stringify(data) }; }
`;

interface Step {
  achieved: number;
  dropped: number;
  held: boolean;
}

async function ceilings(bin: string): Promise<void> {
  const target = await startLoopbackTarget();
  const client = createLoadHttpClient(MAX_IN_FLIGHT);
  const dir = mkdtempSync(path.join(tmpdir(), 'pca-k6-ceiling-'));
  const script = path.join(dir, 'ceiling.js');
  writeFileSync(script, CEILING_SCRIPT);
  const url = new URL(target.url);
  const seconds = STEP_MS / 1000;
  const ceiling = { runner: 0, k6: 0 };
  const misses = { runner: 0, k6: 0 };
  process.stdout.write(
    `\nload-generator ceiling: bare GETs at the same loopback target, ${seconds} s a step; held = no drop, >= 99% of plan, no error\n`,
  );
  process.stdout.write('  rate/s  runner achieved/s  dropped  held   k6 achieved/s  dropped  held\n');
  try {
    for (const rate of CEILING_RATES) {
      if (misses.runner >= 2 && misses.k6 >= 2) break;
      let runner: Step | undefined;
      if (misses.runner < 2) {
        const r = await runnerStep(client, url, rate, STEP_MS);
        runner = {
          achieved: r.achievedRate,
          dropped: r.dropped,
          held: r.dropped === 0 && r.achievedRate >= rate * 0.99 && r.errors.total === 0,
        };
      }
      let k6: Step | undefined;
      if (misses.k6 < 2) {
        const run = await runK6(
          bin,
          script,
          { RATE: String(rate), DURATION: `${seconds}s`, URL: target.url },
          {
            profile: 'ceiling',
            timeoutMs: STEP_MS + 60_000,
          },
        );
        rmSync(run.reportDir, { recursive: true, force: true });
        const m = run.summary?.metrics;
        const iterations = m?.iterations?.values.count ?? 0;
        const dropped = m?.dropped_iterations?.values.count ?? 0;
        const failed = m?.http_req_failed?.values.passes ?? 0;
        k6 = {
          achieved: iterations / seconds,
          dropped,
          held: run.summary !== undefined && dropped === 0 && iterations >= rate * seconds * 0.99 && failed === 0,
        };
      }
      for (const [engine, step] of [
        ['runner', runner],
        ['k6', k6],
      ] as const) {
        if (!step) continue;
        if (step.held) ceiling[engine] = rate;
        // One miss can be a hiccup of a shared machine; two in a row is the ceiling.
        misses[engine] = step.held ? 0 : misses[engine] + 1;
      }
      const cell = (s: Step | undefined, w: number): string =>
        s
          ? `${f(s.achieved).padStart(w)}  ${String(s.dropped).padStart(7)}  ${(s.held ? 'yes' : 'NO').padEnd(5)}`
          : `${'-'.padStart(w)}  ${'-'.padStart(7)}  ${'-'.padEnd(5)}`;
      process.stdout.write(`  ${String(rate).padStart(6)}  ${cell(runner, 17)}  ${cell(k6, 13)}\n`);
    }
  } finally {
    client.close();
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`ceiling: runner ${ceiling.runner} arrivals/s held, k6 ${ceiling.k6} arrivals/s held\n`);
}

export default async function bench(): Promise<void> {
  let bin: string;
  try {
    bin = findK6();
  } catch (e) {
    if (!(e instanceof K6NotFoundError)) throw e;
    process.stdout.write(`skipped: ${e.message}\n`);
    return;
  }
  process.stdout.write(
    `${k6Version(bin)}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  // In a process of its own, as k6 is: the runner must not share the servers' event loop.
  const stack = await startLoadStackProcess();
  try {
    await twoEngines(bin, stack);
  } finally {
    await stack.close();
  }
  await ceilings(bin);
}
