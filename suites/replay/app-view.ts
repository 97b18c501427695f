/**
 * "What the NHS App would see" for a few replayed patients: replay asks the platform's consumer API
 * (`GET /aggregator/events`) as the NHS App does, with an ID token minted by the NHS login mock, and
 * keeps the EVA report's summary of each answer. The under-16 patient is always in the sample, so
 * the report shows the 403 the App gets for them.
 */
import { adminHeaders } from '../../core/admin-token';
import { DEFAULT_CONSUMER_BEARER } from '../../core/consumer-api';
import { fetchWithTimeout } from '../../core/http';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import { ineligibility, type FixturePack, type PackPatient } from '../../fixtures/pack';
import type { Bundle } from '../../core/fhir';
import { type AppViewSample, appViewSample, compareAppView } from '../eva/app-view';

export const DEFAULT_APP_VIEW_SAMPLES = 5;

const dataTypes = (p: PackPatient): number =>
  (Object.values(p.expected) as Array<Bundle | undefined>).filter((b) => (b?.entry?.length ?? 0) > 0).length;

/**
 * Who is sampled: the first under-16 patient, then eligible patients with data in the most resource
 * types, then one eligible patient with nothing to show; at most `size`, in that order; then every
 * eligible patient whose pack entry says what the App should see (compared, whatever `size`).
 */
export function appViewPatients(pack: FixturePack, on: Date, size = DEFAULT_APP_VIEW_SAMPLES): PackPatient[] {
  if (size <= 0) return [];
  const under16 = pack.patients.find((p) => ineligibility(p, on) === 'under-16');
  const eligible = pack.patients.filter((p) => ineligibility(p, on) === undefined);
  const withData = eligible.filter((p) => dataTypes(p) > 0).sort((a, b) => dataTypes(b) - dataTypes(a));
  const empty = eligible.find((p) => dataTypes(p) === 0);
  const picked: PackPatient[] = [];
  const add = (p: PackPatient | undefined) => {
    if (p && picked.length < size && !picked.includes(p)) picked.push(p);
  };
  add(under16);
  // Keep a slot for the empty answer, which shows the App's "nothing to show" case.
  for (const p of withData.slice(0, Math.max(0, size - picked.length - (empty ? 1 : 0)))) add(p);
  add(empty);
  for (const p of withData) add(p);
  // Every patient the pack gives an expected consumer view is compared, beyond the sample's size.
  for (const p of eligible) if (p.consumer?.expectedView && !picked.includes(p)) picked.push(p);
  return picked;
}

/**
 * One consumer-API call for the patient, summarised and, when the pack says what the App should see,
 * compared with it; never throws (a failure becomes the sample's note and, if expected, a difference).
 */
export async function sampleAppView(
  urls: { issuer: string; events: string },
  patient: PackPatient,
  /** The platform's admin token (its ID-token mint is an admin route), when bound beyond loopback. */
  adminToken?: string,
  bearer?: string,
): Promise<AppViewSample> {
  const sample = await askAppView(urls, patient, adminToken, bearer);
  const expected = patient.consumer?.expectedView;
  return expected ? compareAppView(sample, expected) : sample;
}

async function askAppView(
  urls: { issuer: string; events: string },
  patient: PackPatient,
  adminToken?: string,
  /** The API platform bearer the consumer API wants; default DEFAULT_CONSUMER_BEARER. */
  bearer?: string,
): Promise<AppViewSample> {
  let token: string;
  try {
    const minted = await fetchWithTimeout<{ id_token?: unknown; error_description?: unknown }>(
      `${urls.issuer}/_harness/id-token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...adminHeaders(adminToken) },
        body: JSON.stringify({
          nhsNumber: patient.nhsNumber,
          birthDate: patient.birthDate,
          familyName: patient.name?.family,
        }),
      },
    );
    if (minted.status !== 200 || typeof minted.json?.id_token !== 'string') {
      return appViewSample({
        nhsNumber: patient.nhsNumber,
        body: undefined,
        error: `the NHS login mock did not mint an ID token (HTTP ${minted.status})`,
      });
    }
    token = minted.json.id_token;
  } catch (e) {
    return appViewSample({ nhsNumber: patient.nhsNumber, body: undefined, error: (e as Error).message });
  }
  const q = new URLSearchParams({ 'patient:identifier': `${NHS_NUMBER_SYSTEM}|${patient.nhsNumber}` });
  try {
    // The consumer API's own deadline is 10 s; allow it to answer 504 itself.
    const res = await fetchWithTimeout(`${urls.events}?${q.toString()}`, {
      headers: {
        Authorization: `Bearer ${bearer ?? DEFAULT_CONSUMER_BEARER}`,
        'NHSD-ID-Token': token,
        accept: 'application/fhir+json',
      },
      timeoutMs: 15_000,
    });
    return appViewSample({ nhsNumber: patient.nhsNumber, status: res.status, body: res.text });
  } catch (e) {
    return appViewSample({ nhsNumber: patient.nhsNumber, body: undefined, error: (e as Error).message });
  }
}
