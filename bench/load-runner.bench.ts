/**
 * The built-in load runner's own ceiling: the highest arrival rate it holds against a fast
 * loopback target on this machine. Steps the rate up (3 s each) until a step is not held.
 *
 * A rate is held when no arrival was dropped, the achieved rate is at least 99% of the plan, and
 * under 1% of requests started more than 1 ms after their scheduled time (p99 schedule lag <= 1 ms):
 * beyond that, the runner's own lateness starts to show in the latencies it reports.
 *
 * The target (bench/loopback-target.ts) runs in a worker thread so it has its own event loop; the
 * runner uses the same HTTP client as `pca-harness load`. bench/k6.bench.ts sets k6 beside it.
 */
import { createLoadHttpClient, type LoadHttpClient } from '../load/http-client';
import { runLoad, type RunOutput } from '../load/runner';
import { startLoopbackTarget } from './loopback-target';

const STEP_MS = 3_000;
const RATES = [250, 500, 1000, 2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000];
export const MAX_IN_FLIGHT = 1000;

/** One step: the runner holding `rate` bare GETs a second at `url` for `stepMs`. */
export function runnerStep(client: LoadHttpClient, url: URL, rate: number, stepMs = STEP_MS): Promise<RunOutput> {
  return runLoad(
    {
      name: `bench-${rate}`,
      startRate: rate,
      stages: [{ durationMs: stepMs, toRate: rate }],
      maxInFlight: MAX_IN_FLIGHT,
      thresholds: {},
    },
    {
      request: async () => {
        const reply = await client.send({ method: 'GET', url, timeoutMs: 5_000 });
        return { status: reply.status, ok: reply.status === 200 };
      },
    },
  );
}

const f = (v: number, d = 2): string => v.toFixed(d);

export default async function bench(): Promise<void> {
  const target = await startLoopbackTarget();
  const client = createLoadHttpClient(MAX_IN_FLIGHT);
  const url = new URL(target.url);
  let ceiling = 0;
  process.stdout.write(
    `step ${STEP_MS / 1000} s each, target in a worker thread, at most ${MAX_IN_FLIGHT} in flight\n`,
  );
  process.stdout.write(
    '  rate/s  achieved/s  dropped  lag p50   lag p99   lag max   latency p50  latency p99  cpu   held\n',
  );
  try {
    let misses = 0;
    for (const rate of RATES) {
      const cpu0 = process.cpuUsage();
      const r = await runnerStep(client, url, rate);
      const cpu = process.cpuUsage(cpu0);
      const cpuShare = (cpu.user + cpu.system) / 1000 / r.durationMs;
      const held = r.dropped === 0 && r.achievedRate >= rate * 0.99 && r.scheduleLag.p99 <= 1 && r.errors.total === 0;
      if (held) ceiling = rate;
      process.stdout.write(
        `  ${String(rate).padStart(6)}  ${f(r.achievedRate, 1).padStart(10)}  ${String(r.dropped).padStart(7)}  ${f(r.scheduleLag.p50, 3).padStart(7)}   ${f(r.scheduleLag.p99, 3).padStart(7)}   ${f(r.scheduleLag.max, 1).padStart(7)}   ${f(r.latency.p50, 3).padStart(11)}  ${f(r.latency.p99, 3).padStart(11)}  ${f(cpuShare, 2)}  ${held ? 'yes' : 'NO'}\n`,
      );
      misses = held ? 0 : misses + 1;
      // One miss can be a hiccup of a shared machine; two in a row is the ceiling.
      if (misses >= 2) break;
    }
  } finally {
    client.close();
    await target.stop();
  }
  process.stdout.write(
    `ceiling: ${ceiling} arrivals/s held (no drops, >= 99% of plan, p99 schedule lag <= 1 ms); cpu is cores used by the whole process, target included\n`,
  );
}
