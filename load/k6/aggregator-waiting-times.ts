/**
 * The aggregator's consumer API, answering waiting lists with their planned and 80th-percentile wait
 * times, within 600 ms at P95 at 25 TPS (consumer:WF-NFR-01: wait times 600 ms; appointments and
 * referrals 1,000 ms, which aggregator-p95-at-25tps.ts holds). The mock answers all of them in one
 * /aggregator/events response, so the stricter budget applies to every request.
 *
 *   PACK=$PWD/pack.json k6 run load/k6/aggregator-waiting-times.ts
 *
 * Env: PLATFORM_URL or TARGET_URL, BEARER (default: the harness's consumer bearer), RATE, DURATION,
 * P95_MS, MAX_VUS, VERIFY=true, REPORT_DIR.
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

const profile = profileFor('aggregator-waiting-times');
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
