/**
 * The reference supplier must be far faster than the 400 ms P95 / 25 TPS budget it is measured
 * against (WF-NFR-01), or it would blur every load figure taken through it: latency of full
 * requests (bearer, RS512 ID-token verification, bundle) over loopback at a fixed concurrency.
 * Then the upload client's throughput into a stand-in Record Service that acknowledges everything,
 * with the SQLite journal on disk (synchronous=FULL), in prod-profile batches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { listen } from '../core/http';
import { NHS_NUMBER_SYSTEM } from '../core/nhs-number';
import { buildDefaultPack } from '../fixtures/default-pack';
import { generatePack } from '../fixtures/generate';
import { startSupplierStack } from '../mocks/supplier/stack';
import { uploadPack } from '../mocks/supplier/upload';

const REQUESTS = 3_000;
const IN_FLIGHT = 10;
const UPLOAD_PATIENTS = 50_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function apiLatency(): Promise<void> {
  const pack = buildDefaultPack(new Date());
  const patient = pack.patients.find((p) => p.scenario === 'long history across specialties')!;
  const stack = await startSupplierStack({ pack, rateLimitTps: 1_000_000 });
  try {
    const bearer = await stack.accessToken();
    const idToken = await stack.idToken({ nhsNumber: patient.nhsNumber });
    const url = `${stack.supplier.url}/Appointment?patient:identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${patient.nhsNumber}`)}`;
    const headers = { Authorization: `Bearer ${bearer}`, 'NHSD-ID-Token': idToken, 'X-Correlation-ID': 'bench' };
    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    const started = performance.now();
    const worker = async () => {
      while (next++ < REQUESTS) {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `GET /Appointment (${patient.expected.Appointment?.total ?? 0} appointments), ${REQUESTS} requests, ${IN_FLIGHT} in flight: ` +
        `${(REQUESTS / elapsed).toFixed(0)} req/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms, failures ${failures}\n`,
    );
  } finally {
    await stack.close();
  }
}

async function uploadThroughput(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pca-supplier-bench-'));
  const app = express();
  app.use(express.json({ limit: '2mb' }));
  app.post('/records', (_req, res) => {
    res.json({ result: 'success' });
  });
  const server = await listen(app);
  try {
    const pack = generatePack({ count: UPLOAD_PATIENTS, seed: 99, on: new Date() });
    const started = performance.now();
    const report = await uploadPack({
      recordsUrl: `${server.url}/records`,
      clientId: 'pep-bench',
      auth: { type: 'api-key', apiKey: 'key-bench-upload' },
      pack,
      journal: path.join(dir, 'journal.sqlite'),
      profile: 'prod',
    });
    const elapsed = (performance.now() - started) / 1000;
    process.stdout.write(
      `upload: ${report.eligible} of ${UPLOAD_PATIENTS} patients eligible, ${report.batches} batches, ` +
        `${(report.acknowledged / elapsed).toFixed(0)} NHS numbers/s acknowledged and journalled, outcome ${report.outcome}\n`,
    );
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<void> {
  await apiLatency();
  await uploadThroughput();
}
