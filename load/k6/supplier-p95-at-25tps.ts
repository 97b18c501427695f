/**
 * A supplier endpoint holds 400 ms at P95 at 25 TPS (producer WF-NFR-01, "Capacity and response
 * times"), with under 1% errors. PROFILE=default applies the project budget of 1,000 ms instead.
 *
 *   PACK=$PWD/pack.json k6 run load/k6/supplier-p95-at-25tps.ts
 *
 * Env: SUPPLIER_URL or TARGET_URL, PLATFORM_URL (NHS login mock), BEARER or TOKEN_URL + CLIENT_ID +
 * CLIENT_SECRET, RATE, DURATION, P95_MS, MAX_VUS, VERIFY=true, REPORT_DIR. See docs/load.md.
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

const profile = profileFor(__ENV.PROFILE === 'default' ? 'default' : 'supplier-standard');
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
