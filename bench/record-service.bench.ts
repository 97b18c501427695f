/**
 * Record Service, durability on (a real SQLite file, WAL, synchronous=FULL; 200 only after commit):
 *   1. small batches: 10 NHS numbers a call from 20 connections, requests/s with group commit;
 *   2. bulk load (WF-NFR-RS-03/05/09): 1,000,000 NHS numbers in 5,000-number batches over real
 *      HTTP on loopback, prod profile, then the reconciliation count, which must be exact.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyRing } from '../core/keys';
import { listen } from '../core/http';
import { DEFAULT_SYNTHETIC_RANGES, generateNhsNumbers } from '../core/nhs-number';
import { createRecordServiceApp } from '../mocks/record-service/app';
import { openRegistrationStore, registrationStorePath } from '../mocks/record-service/store';

const TOTAL = 1_000_000;
const BATCH = 5_000;
const IN_FLIGHT = 4;
const API_KEY = 'key-bench-record-service';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const SMALL_BATCH = 10;
const SMALL_CONNECTIONS = 20;
const SMALL_REQUESTS = 6_000;

/** POST /records with 10 numbers from 20 connections: requests/s with every acknowledgement durable. */
async function smallBatches(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pca-rs-bench-small-'));
  const store = openRegistrationStore(registrationStorePath(dir));
  const app = createRecordServiceApp({
    clients: [{ clientId: 'pep-bench', apiKey: API_KEY, resourceType: 'Appointment' }],
    mode: 'strict',
    profile: 'int',
    syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
    tokenUrl: () => 'http://127.0.0.1/oauth2/token',
    keyRing: new KeyRing(),
    store,
  });
  const server = await listen(app);
  try {
    const numbers = generateNhsNumbers(SMALL_REQUESTS * SMALL_BATCH, 20251130, '99');
    let next = 0;
    let failures = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < SMALL_REQUESTS) {
        const i = next++;
        const res = await fetch(`${server.url}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify({
            clientId: 'pep-bench',
            nhsNumbers: numbers.slice(i * SMALL_BATCH, (i + 1) * SMALL_BATCH),
          }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: SMALL_CONNECTIONS }, worker));
    const elapsed = (performance.now() - started) / 1000;
    const g = store.groupStats();
    const count = store.countDistinct('pep-bench');
    process.stdout.write(
      [
        `small batches      ${SMALL_REQUESTS.toLocaleString('en-GB')} calls of ${SMALL_BATCH} NHS numbers from ${SMALL_CONNECTIONS} connections, durability on`,
        `                   ${Math.round(SMALL_REQUESTS / elapsed).toLocaleString('en-GB')} requests/s; ${g.commits.toLocaleString('en-GB')} commits for ${g.calls.toLocaleString('en-GB')} calls (${(g.calls / Math.max(1, g.commits)).toFixed(1)} per commit)`,
        `                   non-200 answers ${failures}; registered ${count.toLocaleString('en-GB')} of ${(SMALL_REQUESTS * SMALL_BATCH).toLocaleString('en-GB')}: ${count === SMALL_REQUESTS * SMALL_BATCH ? 'MATCH' : 'MISMATCH'}`,
        '',
      ].join('\n'),
    );
    if (failures > 0 || count !== SMALL_REQUESTS * SMALL_BATCH) process.exitCode = 1;
  } finally {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<void> {
  await smallBatches();
  const dir = mkdtempSync(path.join(tmpdir(), 'pca-rs-bench-'));
  const file = registrationStorePath(dir);
  const store = openRegistrationStore(file);
  const app = createRecordServiceApp({
    clients: [
      {
        clientId: 'pep-bench',
        apiKey: API_KEY,
        resourceType: 'Appointment',
        endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'static', token: 'unused-in-bench' } },
      },
    ],
    mode: 'strict',
    profile: 'prod',
    syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
    tokenUrl: () => 'http://127.0.0.1/oauth2/token',
    keyRing: new KeyRing(),
    store,
  });
  const server = await listen(app);
  try {
    const numbers = generateNhsNumbers(TOTAL, 20240601, '99');
    const bodies: string[] = [];
    for (let i = 0; i < TOTAL; i += BATCH)
      bodies.push(JSON.stringify({ clientId: 'pep-bench', nhsNumbers: numbers.slice(i, i + BATCH) }));
    process.stdout.write(
      `registering ${TOTAL.toLocaleString('en-GB')} NHS numbers in ${bodies.length} batches of ${BATCH.toLocaleString('en-GB')} (${IN_FLIGHT} in flight) at ${server.url}\n`,
    );

    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        const res = await fetch(`${server.url}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);

    const t1 = performance.now();
    const rec = (await (await fetch(`${server.url}/_harness/records/reconciliation?clientId=pep-bench`)).json()) as {
      distinctNhsNumbers: number;
    };
    const recMs = performance.now() - t1;
    const size = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

    process.stdout.write(
      [
        `registered in      ${elapsed.toFixed(2)} s  (${Math.round(TOTAL / elapsed).toLocaleString('en-GB')} NHS numbers/s, ${(bodies.length / elapsed).toFixed(1)} batches/s)`,
        `batch latency ms   p50 ${percentile(latencies, 50).toFixed(1)}  p95 ${percentile(latencies, 95).toFixed(1)}  max ${latencies[latencies.length - 1]!.toFixed(1)}`,
        `non-200 answers    ${failures}`,
        `reconciliation     ${rec.distinctNhsNumbers.toLocaleString('en-GB')} distinct NHS numbers (expected ${TOTAL.toLocaleString('en-GB')}): ${rec.distinctNhsNumbers === TOTAL ? 'MATCH' : 'MISMATCH'}  (query ${recMs.toFixed(0)} ms)`,
        `SQLite on disk     ${(size / (1 << 20)).toFixed(1)} MB`,
        '',
      ].join('\n'),
    );
    if (rec.distinctNhsNumbers !== TOTAL || failures > 0) process.exitCode = 1;
  } finally {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
