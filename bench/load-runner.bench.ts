/**
 * The built-in load runner's own ceiling: the highest arrival rate it holds against a fast
 * loopback target on this machine. Steps the rate up (3 s each) until a step is not held.
 *
 * A rate is held when no arrival was dropped, the achieved rate is at least 99% of the plan, and
 * under 1% of requests started more than 1 ms after their scheduled time (p99 schedule lag <= 1 ms):
 * beyond that, the runner's own lateness starts to show in the latencies it reports.
 *
 * The target (node:http, answers `{}` at once) runs in a worker thread so it has its own event
 * loop; the runner uses the same HTTP client as `pca-harness load`.
 */
import { Worker } from 'node:worker_threads';
import { createLoadHttpClient } from '../load/http-client';
import { runLoad } from '../load/runner';

const STEP_MS = 3_000;
const RATES = [250, 500, 1000, 2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000];
const MAX_IN_FLIGHT = 1000;

const TARGET = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => { req.resume(); res.setHeader('content-type', 'application/json'); res.end('{}'); });
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', (m) => { if (m === 'stop') { server.close(); server.closeAllConnections(); parentPort.close(); } });
`;

function startTarget(): Promise<{ url: string; stop: () => Promise<void> }> {
  const w = new Worker(TARGET, { eval: true });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (port: number) =>
      resolve({
        url: `http://127.0.0.1:${port}/`,
        stop: () =>
          new Promise<void>((done) => {
            w.once('exit', () => done());
            w.postMessage('stop');
          }),
      }),
    );
  });
}

const f = (v: number, d = 2): string => v.toFixed(d);

export default async function bench(): Promise<void> {
  const target = await startTarget();
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
      const r = await runLoad(
        {
          name: `bench-${rate}`,
          startRate: rate,
          stages: [{ durationMs: STEP_MS, toRate: rate }],
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
