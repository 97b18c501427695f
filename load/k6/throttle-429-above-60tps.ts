/**
 * Ramping from 30 to 90 TPS, the target answers 429 once the rate passes 60 TPS and never below
 * it, and nothing but 200 or 429 throughout (producer and consumer WF-NFR-03). API=aggregator
 * probes the consumer API instead of a supplier.
 *
 *   PACK=$PWD/pack.json k6 run load/k6/throttle-429-above-60tps.ts
 *
 * Env: API, SUPPLIER_URL or TARGET_URL, PLATFORM_URL, BEARER or TOKEN_URL + CLIENT_ID + CLIENT_SECRET, DURATION, REPORT_DIR.
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

const profile = profileFor('throttle');
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
