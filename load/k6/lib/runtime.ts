/**
 * What the k6 scripts share at run time: settings from __ENV, the pack, tokens in setup(), one
 * iteration per API, and handleSummary's files. This module imports k6, so only k6 (or the
 * esbuild bundle) loads it; everything testable without k6 lives in options.ts and summary.ts.
 * Local imports carry the .ts extension because k6 resolves module paths as written, and every
 * local module imported here must itself have no runtime imports (core/clock.ts, core/nhs-number.ts
 * and suites/report/junit.ts have none; keep it so, or k6 cannot load them).
 */
import http from 'k6/http';
import type { RefinedResponse, ResponseType } from 'k6/http';
import { check, fail } from 'k6';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter, Gauge, Rate } from 'k6/metrics';
import { isUnder16 } from '../../../core/clock.ts';
import { DEFAULT_CONSUMER_BEARER } from '../../../core/consumer-api.ts';
import { generateNhsNumbers } from '../../../core/nhs-number.ts';
import { renderJUnit } from '../../../suites/report/junit.ts';
import {
  API_PATHS,
  EXPECTED_STATUS,
  LOCAL_DEFAULTS,
  PROFILES,
  RECORDS_TOP_UP_SEED,
  applyOverrides,
  mixPicker,
  verdictCaseName,
  verdictTitle,
  patientKind,
  pickWeighted,
  rateAt,
  recordBatches,
  selectMix,
  stagesOf,
  throttleBand,
  type LoadProfile,
  type PatientKind,
  type SupplierResource,
} from '../../profile-data.ts';
import { K6_METRICS, k6Options, overridesFromEnv, verdictOfMetric } from './options.ts';
import { fmt, summaryText, summaryToJUnitSuites, type K6SummaryData } from './summary.ts';

const env = (name: string): string | undefined =>
  __ENV[name] === undefined || __ENV[name] === '' ? undefined : __ENV[name];
const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/** The profile a script runs: its own, with RATE, DURATION, P95_MS, MAX_VUS, BATCH_SIZE, API from the environment. */
export function profileFor(name: string): LoadProfile {
  const base = PROFILES[name];
  if (!base) throw new Error(`no load profile "${name}"`);
  return applyOverrides(base, overridesFromEnv(__ENV));
}

export function optionsFor(profile: LoadProfile): ReturnType<typeof k6Options> {
  return k6Options(profile, { verify: env('VERIFY') === 'true' });
}

/** Where requests go: TARGET_URL, else the local reference supplier or the local platform. */
export function targetUrl(profile: LoadProfile): string {
  const platform = trimSlash(env('PLATFORM_URL') ?? LOCAL_DEFAULTS.platformUrl);
  const fallback = profile.target === 'supplier' ? (env('SUPPLIER_URL') ?? LOCAL_DEFAULTS.supplierUrl) : platform;
  return trimSlash(env('TARGET_URL') ?? fallback);
}

interface PackFilePatient {
  nhsNumber: string;
  birthDate: string;
  flags?: { sensitive?: boolean; excludedByTrust?: boolean };
}

export interface RunPatient {
  nhsNumber: string;
  birthDate: string;
  kind: PatientKind;
}

/** Patients per kind that get an ID token: setup data is copied to every VU, so it stays small. */
const MAX_PATIENTS = Number(env('MAX_PATIENTS') ?? 100);

function readPack(): PackFilePatient[] {
  const file = env('PACK');
  if (!file) {
    throw new Error(
      'set PACK to the absolute path of a fixture pack, e.g. PACK=$PWD/pack.json after `npx pca-harness fixtures default --out pack.json`',
    );
  }
  const parsed = JSON.parse(open(file)) as { patients?: PackFilePatient[] };
  if (!Array.isArray(parsed.patients)) throw new Error(`${file} is not a fixture pack (no "patients" array)`);
  return parsed.patients;
}

/** Init context only (k6 reads files there): the profile's patients, shared by every VU. */
export function loadPatients(profile: LoadProfile): RunPatient[] {
  return new SharedArray('patients', () => {
    const on = new Date();
    return selectMix(
      readPack(),
      (p) => patientKind(isUnder16(p.birthDate, on), p.flags ?? {}),
      profile.mix,
      MAX_PATIENTS,
    ).map((m) => ({ nhsNumber: m.patient.nhsNumber, birthDate: m.patient.birthDate, kind: m.kind }));
  });
}

/** Init context only: the pack's eligible numbers in Record Service batches. */
export function loadBatches(profile: LoadProfile): string[][] {
  return new SharedArray('batches', () => {
    const on = new Date();
    const eligible = readPack()
      .filter((p) => patientKind(isUnder16(p.birthDate, on), p.flags ?? {}) === 'eligible')
      .map((p) => p.nhsNumber);
    return recordBatches(eligible, profile.batchSize ?? 200, (n) => generateNhsNumbers(n, RECORDS_TOP_UP_SEED, '999'))
      .batches;
  });
}

export interface SetupData {
  bearer: string;
  patients: Array<RunPatient & { idToken: string }>;
  /** Records runs: the Record Service client the batches are sent for. */
  recordsClientId?: string;
}

/** Stops the whole run before any load, with the reason: k6 exits non-zero (108) and prints it. */
function abort(reason: string): never {
  exec.test.abort(`pca-harness: ${reason}`);
  throw new Error(reason);
}

/**
 * setup()'s first step: the environment a run needs, checked before any request, so a run
 * misconfigured never sends nothing and passes.
 */
export function validateEnv(profile: LoadProfile): void {
  for (const name of ['PLATFORM_URL', 'SUPPLIER_URL', 'TARGET_URL', 'TOKEN_URL']) {
    const v = env(name);
    if (v !== undefined && !/^https?:\/\/[^\s/]+/.test(v)) abort(`${name} must be an http(s) URL, got "${v}"`);
  }
  if (profile.target === 'records' && !env('RECORDS_CLIENT_ID'))
    abort(
      'a records run needs the Record Service client: set RECORDS_CLIENT_ID (and RECORDS_API_KEY, the API key the platform maps to it)',
    );
  if (env('REPORT_DIR')?.startsWith('~'))
    abort(`REPORT_DIR "${env('REPORT_DIR')}" starts with ~, which k6 does not expand; give a path that exists`);
}

/** setup() of a records run: the client and its API key, checked. */
export function setupRecords(profile: LoadProfile): SetupData {
  validateEnv(profile);
  return { bearer: env('RECORDS_API_KEY') ?? '', patients: [], recordsClientId: env('RECORDS_CLIENT_ID') };
}

/** The access token: BEARER as given, else client credentials at TOKEN_URL (client_secret_basic). */
function accessToken(profile: LoadProfile): string {
  const given = env('BEARER');
  if (given) return given;
  if (profile.target === 'aggregator') return DEFAULT_CONSUMER_BEARER;
  if (profile.target !== 'supplier') return '';
  const tokenUrl = env('TOKEN_URL') ?? `${targetUrl(profile)}${LOCAL_DEFAULTS.supplierTokenPath}`;
  const clientId = env('CLIENT_ID') ?? LOCAL_DEFAULTS.supplierClientId;
  const clientSecret = env('CLIENT_SECRET') ?? LOCAL_DEFAULTS.supplierClientSecret;
  const res = http.post(
    tokenUrl,
    { grant_type: 'client_credentials' },
    {
      headers: {
        Authorization: `Basic ${encoding.b64encode(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`,
      },
      tags: { name: 'setup: access token' },
      responseType: 'text',
    },
  );
  const token = res.status === 200 ? (res.json() as { access_token?: unknown } | null)?.access_token : undefined;
  if (typeof token !== 'string')
    fail(`${tokenUrl} issued no access token (HTTP ${res.status}); set BEARER, or CLIENT_ID and CLIENT_SECRET`);
  return token;
}

/** The platform's admin routes need its admin token when it listens beyond loopback (docker compose). */
function adminAuth(): Record<string, string> {
  const t = env('PCA_HARNESS_PLATFORM_ADMIN_TOKEN');
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** setup(): an access token and an NHS login ID token per patient, minted by the platform at POST {PLATFORM_URL}/nhs-login/_harness/id-token. */
export function setupTokens(profile: LoadProfile, patients: RunPatient[]): SetupData {
  validateEnv(profile);
  if (patients.length === 0)
    abort(
      `the pack in PACK has no patients the ${profile.name} profile can use (aged 16 or over, not sensitive or excluded)`,
    );
  const issuer = `${trimSlash(env('PLATFORM_URL') ?? LOCAL_DEFAULTS.platformUrl)}/nhs-login`;
  const minted = patients.map((p) => {
    const res = http.post(
      `${issuer}/_harness/id-token`,
      JSON.stringify({ nhsNumber: p.nhsNumber, birthDate: p.birthDate }),
      {
        headers: { 'Content-Type': 'application/json', ...adminAuth() },
        tags: { name: 'setup: id token' },
        responseType: 'text',
      },
    );
    const token = res.status === 200 ? (res.json() as { id_token?: unknown } | null)?.id_token : undefined;
    if (typeof token !== 'string')
      fail(`the NHS login mock at ${issuer} minted no ID token (HTTP ${res.status}); is PLATFORM_URL the platform?`);
    return { ...p, idToken: token };
  });
  return { bearer: accessToken(profile), patients: minted };
}

function uuid(): string {
  const h = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 32; i++) {
    const r = Math.floor(Math.random() * 16);
    s += h[i === 12 ? 4 : i === 16 ? (r & 0x3) | 0x8 : r];
    if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
  }
  return s;
}

function headerOf(res: RefinedResponse<ResponseType | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

const throttledBelow = new Rate(K6_METRICS.throttledBelow);
const throttledAbove = new Rate(K6_METRICS.throttledAbove);
const batchesAcknowledged = new Counter(K6_METRICS.batchesAcknowledged);
const numbersAcknowledged = new Counter(K6_METRICS.numbersAcknowledged);
const reconciliation = new Gauge(K6_METRICS.reconciliation);

/** Throttle profiles: where the planned rate is now, against the limit. */
function noteThrottle(profile: LoadProfile, status: number): void {
  const t = profile.thresholds.throttle;
  if (!t) return;
  const band = throttleBand(rateAt(profile.rate, stagesOf(profile), Date.now() - exec.scenario.startTime), t);
  if (band === 'below') throttledBelow.add(status === 429);
  if (band === 'above') throttledAbove.add(status === 429);
}

/** Built on a VU's first iteration: each VU has its own copy of this module and of the setup data. */
let picker: ((i: number) => { patient: RunPatient & { idToken: string } }) | undefined;

/** One GET as the PCA (supplier) or the NHS App (aggregator) makes it, with the checks on status and correlation echo. */
export function patientIteration(profile: LoadProfile, data: SetupData): void {
  const i = exec.scenario.iterationInTest;
  if (!picker)
    picker = mixPicker(
      data.patients.map((x) => ({ patient: x, kind: x.kind })),
      profile.mix,
    );
  const p = picker(i).patient;
  const resource: SupplierResource = pickWeighted(i, profile.mix.resources ?? { Appointment: 1 }, 1) ?? 'Appointment';
  const tag = profile.target === 'aggregator' ? 'events' : resource;
  const path = profile.target === 'aggregator' ? API_PATHS.aggregator : API_PATHS.supplier[resource];
  const correlation = uuid();
  const expected = EXPECTED_STATUS[p.kind];
  const headers: Record<string, string> = {
    Accept: 'application/fhir+json',
    'NHSD-ID-Token': p.idToken,
    'X-Correlation-ID': correlation,
  };
  if (data.bearer) headers.Authorization = `Bearer ${data.bearer}`;
  const url = `${targetUrl(profile)}${path}?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${p.nhsNumber}`)}`;
  const res = http.get(url, {
    headers,
    // One name per endpoint: NHS numbers in URLs would make every request its own metric series.
    tags: { name: tag, endpoint: tag },
    responseCallback: http.expectedStatuses(expected, ...(profile.alsoAccept ?? [])),
    timeout: '12s',
  });
  noteThrottle(profile, res.status);
  check(
    res,
    {
      [`status is ${[expected, ...(profile.alsoAccept ?? [])].join(' or ')}`]: (r) =>
        r.status === expected || (profile.alsoAccept ?? []).includes(r.status),
      'X-Correlation-ID echoed': (r) => headerOf(r, 'X-Correlation-ID') === correlation,
    },
    { endpoint: tag },
  );
}

/** One POST /records of a batch, counting what the Record Service acknowledged. */
export function recordsIteration(profile: LoadProfile, batches: string[][], data: SetupData): void {
  const clientId = data.recordsClientId;
  if (!clientId) fail('no RECORDS_CLIENT_ID: setup() should have stopped this run');
  const batch = batches[exec.scenario.iterationInTest % batches.length]!;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Correlation-ID': uuid() };
  const key = env('RECORDS_API_KEY') ?? data.bearer;
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = http.post(`${targetUrl(profile)}${API_PATHS.records}`, JSON.stringify({ clientId, nhsNumbers: batch }), {
    headers,
    tags: { name: 'records', endpoint: 'records' },
    responseType: 'text',
    timeout: '35s',
  });
  const ok = res.status === 200 && (res.json() as { result?: unknown } | null)?.result === 'success';
  if (ok) {
    batchesAcknowledged.add(1);
    numbersAcknowledged.add(batch.length);
  }
  check(res, { 'status is 200 with {"result":"success"}': () => ok });
}

/** teardown() of a records run: the platform's reconciliation count for the clientId, when it offers one. */
export function recordsTeardown(profile: LoadProfile): void {
  const clientId = env('RECORDS_CLIENT_ID');
  if (!clientId) return;
  const res = http.get(
    `${targetUrl(profile)}/_harness/records/reconciliation?clientId=${encodeURIComponent(clientId)}`,
    { headers: adminAuth(), tags: { name: 'teardown: reconciliation' }, responseType: 'text' },
  );
  const n =
    res.status === 200 ? (res.json() as { distinctNhsNumbers?: unknown } | null)?.distinctNhsNumbers : undefined;
  if (typeof n === 'number') reconciliation.add(n);
}

/** The records counts for the text summary: acknowledged batches and numbers, and the platform's reconciliation count. */
function recordsLines(data: K6SummaryData): string[] {
  const value = (name: string, key: string): number | undefined => data.metrics[name]?.values[key];
  const batches = value(K6_METRICS.batchesAcknowledged, 'count');
  const numbers = value(K6_METRICS.numbersAcknowledged, 'count');
  const reconciled = value(K6_METRICS.reconciliation, 'value');
  return [
    `records: ${fmt(batches ?? 0)} batches acknowledged (${fmt(batches === undefined ? 0 : value(K6_METRICS.batchesAcknowledged, 'rate'))} batches/s), ${fmt(numbers ?? 0)} NHS numbers`,
    `reconciliation: ${reconciled === undefined ? 'the platform gave no count' : `the platform counts ${fmt(reconciled)} distinct NHS numbers for ${env('RECORDS_CLIENT_ID') ?? 'the client'}`}`,
  ];
}

/**
 * handleSummary(): a text summary on stdout, the raw summary as JSON and the thresholds as JUnit
 * (one case per verdict, named as the built-in runner names it). The files go to REPORT_DIR, or the
 * working directory; k6 creates no folders, so REPORT_DIR must exist.
 */
export function summaryFiles(profile: LoadProfile, data: K6SummaryData): Record<string, string> {
  const dirEnv = env('REPORT_DIR');
  const prefix = dirEnv === undefined ? '' : `${trimSlash(dirEnv)}/`;
  const caseNameOf = (metric: string): string | undefined => {
    const id = verdictOfMetric(metric);
    const title = id === undefined ? undefined : verdictTitle(profile, id);
    return id === undefined || title === undefined ? undefined : verdictCaseName(id, title);
  };
  return {
    stdout: summaryText(data, profile.name, profile.target === 'records' ? recordsLines(data) : []),
    [`${prefix}${profile.name}-summary.json`]: JSON.stringify(data, null, 2),
    [`${prefix}${profile.name}-junit.xml`]: renderJUnit(
      summaryToJUnitSuites(data, profile.name, caseNameOf),
      `pca-harness k6 ${profile.name}`,
    ),
  };
}
