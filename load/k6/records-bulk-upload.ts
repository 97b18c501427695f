/**
 * A bulk upload to the Record Service: the pack's NHS numbers in 200-number batches (BATCH_SIZE=5000
 * for the production limit), batches per second from http_reqs, acknowledged batches and numbers,
 * and the platform's reconciliation count for the clientId at the end (WF-NFR-RS-03/05/09).
 *
 *   PACK=$PWD/pack.json RECORDS_CLIENT_ID=my-client RECORDS_API_KEY=... k6 run load/k6/records-bulk-upload.ts
 *
 * Env: PLATFORM_URL or TARGET_URL, RECORDS_CLIENT_ID, RECORDS_API_KEY, RATE, DURATION, BATCH_SIZE, REPORT_DIR.
 */
import {
  loadBatches,
  optionsFor,
  profileFor,
  recordsIteration,
  recordsTeardown,
  setupRecords,
  summaryFiles,
  type SetupData,
} from './lib/runtime.ts';
import type { K6SummaryData } from './lib/summary.ts';

const profile = profileFor('records-bulk');
const batches = loadBatches(profile);

export const options = optionsFor(profile);

export function setup(): SetupData {
  return setupRecords(profile);
}

export default function (data: SetupData): void {
  recordsIteration(profile, batches, data);
}

export function teardown(): void {
  recordsTeardown(profile);
}

export function handleSummary(data: K6SummaryData): Record<string, string> {
  return summaryFiles(profile, data);
}
