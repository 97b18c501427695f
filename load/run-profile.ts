/**
 * A whole load run as the `load` command (and `check --suites load`) asks for it: resolve the
 * profile, get tokens, pick the patients, drive the runner, and add what only a particular API
 * has (the Record Service reconciliation count).
 */
import { adminHeaders } from '../core/admin-token';
import { generateNhsNumbers } from '../core/nhs-number';
import { TimeoutError, UnreachableError } from '../core/http';
import { isUnder16 } from '../core/clock';
import type { FixturePack } from '../fixtures/pack';
import { startNhsLogin, type NhsLoginSession } from '../suites/access/nhs-login-session';
import { clientCredentialsToken, mintIdTokens, type ClientCredentials } from './auth';
import { createLoadHttpClient, TransportError, type LoadHttpClient } from './http-client';
import {
  patientKind,
  planFromProfile,
  recordBatches,
  RECORDS_TOP_UP_SEED,
  resolveProfile,
  selectMix,
  ProfileError,
  type ApiKind,
  type LoadProfile,
  type ProfileOverrides,
} from './profiles';
import { runLoad, type RunOutput } from './runner';
import { CLIENT_TIMEOUT_MS, PRODUCER_DEADLINE_MS } from '../core/deadline';
import type { Progress, RunnerClock, ThresholdVerdict } from './runner/types';
import { fanOutReport, type FanOutReport, resetFanOut } from './fan-out';
import { createRequester, type LoadPatient, type RecordsPlan } from './targets';
import { defaultVerifier, type Verifier } from './verify';

/**
 * Requests slower than this count as failed: above the supplier's 9 s 504 (producer:WF-NFR-02) and the
 * aggregator's 10 s 504 (consumer:WF-NFR-02), so a late answer is seen and named. The one home is core/deadline.ts.
 */
export const REQUEST_TIMEOUT_MS = CLIENT_TIMEOUT_MS;
/** Patients per kind that get an ID token; a bigger pack is sampled in order. */
export const MAX_PATIENTS_PER_KIND = 500;

export interface LoadRunOptions {
  profile?: string;
  overrides?: ProfileOverrides;
  /** Base URL of the system under test (a path on it prefixes the endpoint paths). */
  target: string;
  /** A ready access token (suppliers) or API key (Record Service). */
  bearer?: string;
  credentials?: ClientCredentials;
  /** Record Service clientId (records profiles). */
  recordsClientId?: string;
  /** Platform base URL whose NHS login mock mints the ID tokens; without it one is started for the run. */
  platformUrl?: string;
  /** The platform's admin token (ID-token minting, reconciliation), needed when it listens beyond loopback. */
  adminToken?: string;
  /**
   * Without a platform: the issuer the target trusts (config supplier.nhsLoginIssuer). The mock is
   * started on that address when it is local and free, else on a free port (the notice says so).
   * Default: a free port.
   */
  nhsLoginIssuer?: string;
  /** Where the NHS login mock keeps its key, so a supplier's cached JWKS stays valid; default in memory. */
  stateDir?: string;
  pack: FixturePack;
  verify?: boolean;
  verifier?: Verifier;
  /** The day ages are worked out on (default today). */
  on?: Date;
  timeoutMs?: number;
  onProgress?: (p: Progress) => void;
  /** Things a person should know before the numbers arrive (e.g. which NHS login issuer to trust). */
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
  /** The run's clock (default the system's); tests run whole profiles on virtual time with it. */
  clock?: RunnerClock;
  /**
   * The run's HTTP transport, the reachability check included (default node:http with keep-alive,
   * closed at the end); tests pass a fake one. The caller closes what it passes.
   */
  transport?: LoadHttpClient;
}

export interface RecordsSummary {
  clientId: string;
  batchSize: number;
  numbers: number;
  batchesSent: number;
  batchesAcknowledged: number;
  batchesPerSecond: number;
  /** Distinct NHS numbers acknowledged with 200 during this run. */
  acknowledgedNumbers: number;
  /** The platform's own reconciliation count for the clientId, when it offers one. */
  platformReconciliation?: number;
  /** Answers with an X-PCA-Harness-Warning (advice from the mock Record Service), and the first one. */
  warnings: number;
  firstWarning?: string;
}

export interface LoadReport {
  tool: 'pca-harness load';
  profile: LoadProfile;
  api: ApiKind;
  target: string;
  verify: boolean;
  idTokens?: { issuer: string; source: 'platform' | 'in-process'; patients: number };
  result: RunOutput;
  records?: RecordsSummary;
  /** Aggregator runs against the harness platform: the fan-out overhead (aggregator P95 minus the slowest upstream's). */
  fanOut?: FanOutReport;
  /** Every threshold verdict: the runner's and the API-specific ones. */
  verdicts: ThresholdVerdict[];
  pass: boolean;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

function checkUrl(name: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ProfileError(`${name} must be an http(s) URL, got "${value}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ProfileError(`${name} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** Any HTTP answer will do: this only tells "nothing listens there" (exit 3) from a failed run. */
async function checkReachable(client: LoadHttpClient, target: string): Promise<void> {
  const origin = originOf(target);
  const timeoutMs = 5_000;
  try {
    await client.send({ method: 'GET', url: new URL(origin), timeoutMs });
  } catch (e) {
    if (e instanceof TransportError && e.timedOut) throw new TimeoutError(origin, timeoutMs);
    throw new UnreachableError(origin, e);
  }
}

/** Patients of the mix, by kind, capped; ages on `on`. */
export function selectPatients(pack: FixturePack, profile: LoadProfile, on: Date): LoadPatient[] {
  return selectMix(
    pack.patients,
    (p) => patientKind(isUnder16(p.birthDate, on), p.flags),
    profile.mix,
    MAX_PATIENTS_PER_KIND,
  );
}

/** The pack's eligible numbers in batches, topped up to one full batch with seeded synthetic numbers. */
export function recordsBatches(
  pack: FixturePack,
  batchSize: number,
  on: Date,
): { numbers: string[]; batches: string[][] } {
  const eligible = pack.patients
    .filter((p) => patientKind(isUnder16(p.birthDate, on), p.flags) === 'eligible')
    .map((p) => p.nhsNumber);
  return recordBatches(eligible, batchSize, (n) => generateNhsNumbers(n, RECORDS_TOP_UP_SEED, '999'));
}

async function reconciliationCount(
  client: LoadHttpClient,
  target: string,
  clientId: string,
  adminToken: string | undefined,
): Promise<number | undefined> {
  try {
    const reply = await client.send({
      method: 'GET',
      url: new URL(`${target}/_harness/records/reconciliation?clientId=${encodeURIComponent(clientId)}`),
      timeoutMs: 5_000,
      headers: adminHeaders(adminToken),
    });
    if (reply.status !== 200) return undefined;
    const count = (JSON.parse(reply.body) as { distinctNhsNumbers?: unknown } | null)?.distinctNhsNumbers;
    return typeof count === 'number' ? count : undefined;
  } catch {
    // Not every Record Service has the harness endpoint; the count from this run still stands.
    return undefined;
  }
}

export async function runLoadProfile(opts: LoadRunOptions): Promise<LoadReport> {
  const profile = resolveProfile(opts.profile, opts.overrides);
  const target = checkUrl('--target', opts.target);
  const platformUrl = opts.platformUrl ? checkUrl('--platform-url', opts.platformUrl) : undefined;
  const on = opts.on ?? new Date();
  const verify = opts.verify ?? false;
  const notice = opts.onNotice ?? (() => undefined);
  if (profile.target === 'supplier' && opts.timeoutMs !== undefined && opts.timeoutMs < CLIENT_TIMEOUT_MS)
    throw new ProfileError(
      `a supplier run waits at least ${CLIENT_TIMEOUT_MS.toLocaleString('en-GB')} ms for each answer, so a late answer past the ${PRODUCER_DEADLINE_MS.toLocaleString('en-GB')} ms deadline (producer:WF-NFR-02) is seen and named; got a timeout of ${opts.timeoutMs} ms`,
    );
  if (profile.target === 'records' && !opts.recordsClientId)
    throw new ProfileError(
      'a records run needs the Record Service clientId: --client-id ID (and the API key as --bearer KEY)',
    );

  let patients: LoadPatient[] = [];
  let idTokens: LoadReport['idTokens'];
  let localLogin: NhsLoginSession | undefined;
  let records: RecordsPlan | undefined;
  let recordNumbers = 0;
  const client = opts.transport ?? createLoadHttpClient(profile.maxInFlight);
  try {
    await checkReachable(client, target);

    let bearer = opts.bearer;
    if (!bearer && opts.credentials && profile.target !== 'records')
      bearer = await clientCredentialsToken(opts.credentials);

    if (profile.target === 'records') {
      const { numbers, batches } = recordsBatches(opts.pack, profile.batchSize ?? 200, on);
      recordNumbers = numbers.length;
      records = {
        clientId: opts.recordsClientId!,
        batches,
        acknowledged: new Set(),
        batchesAcknowledged: 0,
        warnings: 0,
      };
    } else {
      patients = selectPatients(opts.pack, profile, on);
      if (patients.length === 0)
        throw new ProfileError(
          `the pack "${opts.pack.name}" has no patients this profile can use (it needs patients aged 16 or over who are not sensitive or excluded)`,
        );
      // The aggregator's own NHS login is the one it trusts, so the target is the platform there.
      const platform = platformUrl ?? (profile.target === 'aggregator' ? target : undefined);
      let issuer: string;
      if (platform) {
        issuer = `${platform}/nhs-login`;
      } else {
        localLogin = await startNhsLogin({
          issuer: opts.nhsLoginIssuer ?? 'http://127.0.0.1:0/nhs-login',
          stateDir: opts.stateDir,
          pack: opts.pack,
        });
        issuer = localLogin.issuer;
        if (localLogin.notice) notice(localLogin.notice);
        notice(
          `ID tokens from the NHS login mock at ${issuer} (${localLogin.persistent ? 'already running' : 'started for this run'}); the target must trust that issuer`,
        );
      }
      const tokens = await mintIdTokens(
        issuer,
        patients.map((p) => ({ nhsNumber: p.patient.nhsNumber, birthDate: p.patient.birthDate })),
        undefined,
        undefined,
        opts.adminToken,
      );
      for (const p of patients) p.idToken = tokens.get(p.patient.nhsNumber);
      idTokens = {
        issuer,
        source: localLogin && !localLogin.persistent ? 'in-process' : 'platform',
        patients: patients.length,
      };
    }

    const request = createRequester({
      profile,
      targetUrl: target,
      client,
      bearer,
      patients,
      verify,
      verifier: opts.verifier ?? defaultVerifier(),
      timeoutMs: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
      records,
    });
    const fanOutFrom = profile.target === 'aggregator' ? (platformUrl ?? originOf(target)) : undefined;
    const fanOutReset = fanOutFrom ? await resetFanOut(fanOutFrom) : false;
    const result = await runLoad(planFromProfile(profile), {
      request,
      onProgress: opts.onProgress,
      signal: opts.signal,
      clock: opts.clock,
    });

    const verdicts = [...result.verdicts];
    let recordsSummary: RecordsSummary | undefined;
    if (records) {
      const platformCount = await reconciliationCount(client, target, records.clientId, opts.adminToken);
      recordsSummary = {
        clientId: records.clientId,
        batchSize: profile.batchSize ?? 200,
        numbers: recordNumbers,
        batchesSent: result.started,
        batchesAcknowledged: records.batchesAcknowledged,
        batchesPerSecond: result.started > 0 ? result.achievedRate * (records.batchesAcknowledged / result.started) : 0,
        acknowledgedNumbers: records.acknowledged.size,
        warnings: records.warnings,
        ...(records.firstWarning ? { firstWarning: records.firstWarning } : {}),
        ...(platformCount !== undefined ? { platformReconciliation: platformCount } : {}),
      };
      if (verify && platformCount !== undefined) {
        // Everything acknowledged must be counted: the Record Service is idempotent, so the
        // platform's count can be higher (earlier runs) but never lower.
        verdicts.push({
          id: 'reconciliation',
          title: 'Every acknowledged NHS number is registered',
          requirement: 'WF-NFR-RS-06, WF-NFR-RS-09',
          expected: `platform reconciliation count >= ${records.acknowledged.size}`,
          observed: `${platformCount} distinct NHS numbers registered for ${records.clientId}`,
          pass: platformCount >= records.acknowledged.size,
        });
      }
    }
    const fanOut = fanOutReset && fanOutFrom ? await fanOutReport(fanOutFrom, result.latency.p95) : undefined;
    return {
      tool: 'pca-harness load',
      profile,
      api: profile.target,
      target,
      verify,
      ...(idTokens ? { idTokens } : {}),
      result,
      ...(recordsSummary ? { records: recordsSummary } : {}),
      ...(fanOut ? { fanOut } : {}),
      verdicts,
      pass: verdicts.every((v) => v.pass),
    };
  } finally {
    if (!opts.transport) client.close();
    await localLogin?.close();
  }
}
