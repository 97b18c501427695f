/**
 * The aggregator's consumer API (GET /aggregator/events) answers within 1,000 ms at P95 at 25 TPS
 * (consumer WF-NFR-01); under-16s in the mix must get 403 (WF-NFR-16).
 *
 *   PACK=$PWD/pack.json k6 run load/k6/aggregator-p95-at-25tps.ts
 *
 * Env: PLATFORM_URL or TARGET_URL, BEARER, RATE, DURATION, P95_MS, MAX_VUS, VERIFY=true, REPORT_DIR.
 */
import {
  loadPatients,
  optionsFor,
  patientIteration,
  profileFor,
  setupTokens,
  summaryFiles,
  type SetupData,
} from './lib/runtime.ts';
import type { K6SummaryData } from './lib/summary.ts';

const profile = profileFor('aggregator');
const patients = loadPatients(profile);

export const options = optionsFor(profile);

export function setup(): SetupData {
  return setupTokens(profile, patients);
}

export default function (data: SetupData): void {
  patientIteration(profile, data);
}

export function handleSummary(data: K6SummaryData): Record<string, string> {
  return summaryFiles(profile, data);
}
