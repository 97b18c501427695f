/**
 * How close the built-in runner's figures are to the truth in real time: a whole supplier-standard
 * run (25 TPS for 20 s) through `runLoadProfile` against a loopback target that answers every
 * request after exactly 100 ms. Whatever the runner reports above 100 ms is its own overhead plus
 * loopback HTTP and whatever else shares the machine. The unit tests pin the arithmetic on virtual
 * time (load/run-profile.test.ts); this prints the real-time figure and asserts nothing.
 */
import express from 'express';
import { searchsetBundle } from '../core/fhir';
import { CORRELATION_HEADER, listen } from '../core/http';
import { buildDefaultPack } from '../fixtures/default-pack';
import { runLoadProfile } from '../load/run-profile';

const SERVICE_MS = 100;
const DURATION_MS = 20_000;

export default async function bench(): Promise<void> {
  const app = express();
  app.get('/Appointment', (req, res) => {
    setTimeout(() => {
      res
        .set(CORRELATION_HEADER, req.get(CORRELATION_HEADER) ?? '')
        .type('application/fhir+json')
        .json(searchsetBundle([]));
    }, SERVICE_MS);
  });
  const server = await listen(app);
  const pack = buildDefaultPack(new Date());
  const run = (durationMs: number) =>
    runLoadProfile({
      profile: 'supplier-standard',
      overrides: { durationMs },
      target: server.url,
      bearer: 'loopback-token',
      pack,
    });
  try {
    // A second untimed first: JIT-compiling the runner and the target is not what is measured.
    await run(1_000);
    const r = (await run(DURATION_MS)).result;
    const f = (v: number): string => v.toFixed(3);
    process.stdout.write(
      `target answers after ${SERVICE_MS} ms; supplier-standard, ${DURATION_MS / 1000} s at ${r.plan.meanPlannedRate} TPS\n` +
        `  started ${r.started}/${r.scheduled}, dropped ${r.dropped}, achieved ${r.achievedRate.toFixed(2)} TPS\n` +
        `  latency   p50 ${f(r.latency.p50)}  p95 ${f(r.latency.p95)}  p99 ${f(r.latency.p99)}  max ${f(r.latency.max)} ms\n` +
        `  over the target's ${SERVICE_MS} ms at p95: ${f(r.latency.p95 - SERVICE_MS)} ms\n` +
        `  schedule lag  p50 ${f(r.scheduleLag.p50)}  p99 ${f(r.scheduleLag.p99)}  max ${f(r.scheduleLag.max)} ms\n`,
    );
  } finally {
    await server.close();
  }
}
