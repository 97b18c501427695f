/**
 * `replay`: NHS England's sandbox flow as one call. Register the pack's eligible patients with the
 * mock Record Service (replay posts them itself, or waits for the supplier's own upload client), let
 * the aggregator's scheduler pull each of them from the supplier, compare every pull with what the
 * pack expects (EVA), look at a few patients through the consumer API as the NHS App would, and
 * write the EVA reports. The CLI command and `demo` are thin callers of `runReplay`.
 */
import type { Clock } from '../../core/clock';
import { systemClock } from '../../core/clock';
import { ConfigError, type ClientConfig, type HarnessConfig, type PullAuth } from '../../core/config';
import { PRODUCER_RESOURCE_TYPES, type ProducerResourceType } from '../../core/fhir';
import { fetchWithTimeout } from '../../core/http';
import { type Logger, silentLogger } from '../../core/logger';
import { redact } from '../../core/redact';
import {
  type FixturePack,
  ineligibility,
  type IneligibleReason,
  PackIndex,
  type PackPatient,
} from '../../fixtures/pack';
import { DEFAULT_PATHS } from '../../mocks/aggregator/upstream';
import { createPlatform, type Platform } from '../../mocks/platform';
import { fetchVerdicts, renderVerdicts } from '../../mocks/record-service/remote';
import { type UploadReport, uploadPack } from '../../mocks/supplier/upload';
import { fetchAccessToken } from '../access/credentials';
import {
  compileCompareOptions,
  comparePatientResponse,
  EvaTally,
  type EvaTotals,
  type PatientVerdict,
} from '../eva/compare';
import { type EvaRun, renderEvaReports } from '../eva/report';
import { writeReportFiles } from '../report/files';
import { inProcessAccess, type PlatformAccess, type PulledResponse, remoteAccess } from './access';
import { appViewPatients, DEFAULT_APP_VIEW_SAMPLES, sampleAppView } from './app-view';
import { onboardClients, type PlannedClient, type UploadMode } from './clients';

export { REPLAY_CLIENT_IDS, TYPE_KEYS, type UploadMode } from './clients';

export const DEFAULT_REPLAY_TIMEOUT_MS = 120_000;
/** Once some registrations have arrived, this long without another ends the wait for the supplier's upload. */
export const UPLOAD_SETTLE_MS = 30_000;

/** Where the platform comes from. */
export type ReplayPlatform =
  /** Replay creates one from the config, listens on its port (or a free one), and stops it afterwards. */
  | { kind: 'start'; config: HarnessConfig; stateDir?: string; logger?: Logger }
  /** Already created and listening (demo); replay leaves it running. */
  | { kind: 'in-process'; platform: Platform }
  /** A `pca-harness serve` reached over HTTP. */
  | { kind: 'remote'; url: string };

export interface ReplayOptions {
  /** Base URL of the supplier's API. */
  supplierUrl: string;
  /** The endpoints the supplier offers; default all three at the standard's paths. */
  paths?: Partial<Record<ProducerResourceType, string>>;
  /** How the aggregator authenticates its pulls to the supplier. */
  auth: PullAuth;
  pack: FixturePack;
  /** `self` (default): replay posts /records; `supplier`: replay waits for the supplier's upload client. */
  upload?: UploadMode;
  platform: ReplayPlatform;
  /** ClientIds per resource type (`--clients`); see clients.ts for the defaults. */
  clientIds?: Partial<Record<ProducerResourceType, string>>;
  /** Client configurations with their credentials (the config's platform.clients). */
  knownClients?: readonly ClientConfig[];
  /** Pulls a second, for a platform replay starts; default the config's pullRate. */
  rate?: number;
  /** How long to wait for the supplier's upload, and the longest the pulls may go without progress. */
  timeoutMs?: number;
  /** Ignore rules added to EVA's defaults (docs/eva.md). */
  ignore?: readonly string[];
  /** How many patients to look at through the consumer API. */
  appViewSamples?: number;
  /** When given, eva.json, junit.xml and eva.html are written there. */
  reportDir?: string;
  /** The NHS login issuer the supplier trusts (config supplier.nhsLoginIssuer): a different platform issuer is warned about. */
  supplierIssuer?: string;
  clock?: Clock;
  /** How often progress is polled; default 100 ms in process, 500 ms remote. */
  pollMs?: number;
}

export type ReplayPhase = 'registering' | 'waiting-for-upload' | 'pulling' | 'comparing' | 'app-view';

export interface ReplayProgress {
  phase: ReplayPhase;
  done: number;
  total: number;
  errors: number;
  /** Items a second over the phase so far. */
  ratePerSecond: number;
  /** Estimated time left in the phase, when it can be told. */
  etaMs?: number;
  elapsedMs: number;
}

export interface ReplayHooks {
  onProgress?: (p: ReplayProgress) => void;
  /** Things a person should know as they happen (the platform's URL, a fallback port, what replay waits for). */
  onNotice?: (message: string) => void;
  logger?: Logger;
}

export interface ReplayClient {
  clientId: string;
  resourceType: ProducerResourceType;
  path: string;
  /** Eligible patients registered for the client. */
  registered: number;
}

export interface ReplayResult {
  /** `unreachable`: no pull got an HTTP answer from the supplier. */
  outcome: 'passed' | 'failed' | 'unreachable';
  /** The EVA run (reports are rendered from it). */
  run: EvaRun & { totals: EvaTotals };
  platform: { url: string; issuer: string; records: string; startedByReplay: boolean; rate: number };
  upload: UploadMode;
  clients: ReplayClient[];
  registration: {
    patients: number;
    eligible: number;
    skipped: Partial<Record<IneligibleReason, number>>;
    /** Eligible patient and client pairs that were not registered. */
    missing: number;
    /** `--upload supplier` and not one registration arrived. */
    nothingArrived: boolean;
    /** `--upload self`: what each of replay's uploads reported. */
    uploads?: Array<Pick<UploadReport, 'clientId' | 'outcome' | 'message' | 'acknowledged' | 'toSend'>>;
  };
  pulls: { expected: number; finished: number; failed: number; schemaInvalid: number; stalled: boolean };
  notices: string[];
  /** The Record Service's account of the /records calls it saw during the run, when registrations are missing. */
  explain?: string;
  reportFiles?: Record<string, string>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function httpUrl(name: string, v: string): string {
  if (!/^https?:\/\/[^/]/.test(v)) throw new ConfigError(`${name} must be an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

interface OpenedPlatform {
  access: PlatformAccess;
  startedByReplay: boolean;
  /** The configured port was taken and a free one used (already warned about). */
  fellBack?: boolean;
  close(): Promise<void>;
}

async function openPlatform(
  p: ReplayPlatform,
  opts: ReplayOptions,
  logger: Logger,
  notice: (m: string) => void,
): Promise<OpenedPlatform> {
  if (p.kind === 'in-process') {
    if (opts.rate !== undefined && opts.rate !== p.platform.scheduler.rate)
      notice(
        `the platform pulls at its own rate of ${p.platform.scheduler.rate}/s (the requested ${opts.rate}/s applies only to a platform replay starts)`,
      );
    return { access: inProcessAccess(p.platform), startedByReplay: false, close: async () => undefined };
  }
  if (p.kind === 'remote') {
    const access = remoteAccess(httpUrl('--platform-url', p.url));
    const info = await access.info();
    if (opts.rate !== undefined && opts.rate !== info.rate)
      notice(
        `the platform at ${access.urls.base} pulls at its own rate of ${info.rate}/s (set it with \`pca-harness serve --pull-rate\`; --rate applies only to a platform replay starts)`,
      );
    return { access, startedByReplay: false, close: async () => undefined };
  }
  const rate = opts.rate ?? p.config.platform.pullRate;
  const config: HarnessConfig = { ...p.config, platform: { ...p.config.platform, pullRate: rate } };
  const platform = createPlatform({ config, pack: opts.pack, stateDir: p.stateDir, logger, clock: opts.clock });
  const { host, port, publicUrl } = config.platform;
  try {
    await platform.start(port, host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== 'EADDRINUSE' && code !== 'EACCES') || port === 0) {
      await platform.stop();
      throw e;
    }
    if (publicUrl) {
      await platform.stop();
      throw new ConfigError(
        `${host}:${port} is in use, and platform.publicUrl (${publicUrl}) says the platform is reached there; free the port, or replay through the platform that holds it with --platform-url`,
      );
    }
    try {
      await platform.start(0, host);
    } catch (again) {
      await platform.stop();
      throw again;
    }
    notice(
      `WARNING: port ${port} is in use, so the platform runs on ${platform.url} instead. The supplier must trust the NHS login issuer ${platform.urls().issuer} ` +
        `for this run, or it will refuse every pull's ID token. (Free port ${port}, or, if a pca-harness platform holds it, replay through it with --platform-url http://${host}:${port}.)`,
    );
    return { access: inProcessAccess(platform), startedByReplay: true, fellBack: true, close: () => platform.stop() };
  }
  return { access: inProcessAccess(platform), startedByReplay: true, close: () => platform.stop() };
}

/** Fails fast, before anything is started, when the supplier cannot be reached or refuses the credentials. */
async function preflight(supplierUrl: string, path: string, auth: PullAuth): Promise<void> {
  // Any HTTP answer will do (a 400 without patient:identifier is expected): it proves someone listens.
  await fetchWithTimeout(`${supplierUrl}${path}`, { timeoutMs: 10_000 });
  if (auth.type === 'client_credentials') await fetchAccessToken(auth.tokenUrl, auth.clientId, auth.clientSecret);
}

/** Runs the whole replay; throws ConfigError (and its kin) for a run that cannot start, UnreachableError when the supplier or platform is not there. */
export async function runReplay(opts: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplayResult> {
  const clock = opts.clock ?? systemClock;
  const logger = hooks.logger ?? silentLogger();
  const upload: UploadMode = opts.upload ?? 'self';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new ConfigError('the timeout must be more than zero');
  if (opts.rate !== undefined && !(opts.rate > 0))
    throw new ConfigError('the pull rate must be more than zero pulls a second');
  const supplierUrl = httpUrl('--supplier', opts.supplierUrl);
  const paths = opts.paths ?? { ...DEFAULT_PATHS };
  const types = PRODUCER_RESOURCE_TYPES.filter((t) => paths[t] !== undefined);
  if (types.length === 0)
    throw new ConfigError('replay needs at least one supplier endpoint (appointments, documents or tasks)');
  // Compiled first: a rule that cannot be read is a usage error before anything starts.
  const compare = compileCompareOptions({ alsoIgnore: opts.ignore ?? [] });

  const notices: string[] = [];
  const notice = (m: string) => {
    notices.push(m);
    hooks.onNotice?.(m);
  };
  const started = clock.now();
  const index = new PackIndex(opts.pack);
  const skipped: Partial<Record<IneligibleReason, number>> = {};
  for (const p of opts.pack.patients) {
    const why = ineligibility(p, started);
    if (why) skipped[why] = (skipped[why] ?? 0) + 1;
  }
  const eligible = index.eligible(started);
  if (eligible.length === 0)
    throw new ConfigError(
      `the pack "${opts.pack.name}" has no patient the Record Service may be sent today (16 or over, not sensitive, not excluded): nothing to replay`,
    );
  const eligibleSet = new Set(eligible.map((p) => p.nhsNumber));

  await preflight(supplierUrl, paths[types[0]!]!, opts.auth);

  const opened = await openPlatform(opts.platform, opts, logger, notice);
  const { access } = opened;
  try {
    const urls = access.urls;
    const info = await access.info();
    if (opened.startedByReplay)
      notice(`mock platform at ${urls.base} (NHS login issuer ${urls.issuer}), pulling at ${info.rate}/s`);
    if (!opened.fellBack && opts.supplierIssuer && opts.supplierIssuer.replace(/\/+$/, '') !== urls.issuer) {
      notice(
        `the supplier is configured to trust the NHS login issuer ${opts.supplierIssuer}, but this platform's is ${urls.issuer}: the supplier must trust ${urls.issuer} (and its JWKS ${urls.jwks}) for this run`,
      );
    }
    const pollMs = opts.pollMs ?? (access.inProcess ? 100 : 500);
    // Pulls requested from here on belong to this run.
    const since = clock.now().toISOString();
    const runStart = new Date(since);

    const plan = await onboardClients({
      access,
      upload,
      supplierUrl,
      paths,
      auth: opts.auth,
      ...(opts.clientIds ? { clientIds: opts.clientIds } : {}),
      ...(opts.knownClients ? { knownClients: opts.knownClients } : {}),
    });
    const clientList = plan.map((c) => `${c.clientId} (${c.resourceType})`).join(', ');

    // 1. Registration.
    const registeredOf = async (c: PlannedClient): Promise<Set<string>> =>
      new Set((await access.registered(c.clientId)).filter((n) => eligibleSet.has(n)));
    let registered = new Map<string, Set<string>>();
    let uploads: ReplayResult['registration']['uploads'];
    let nothingArrived = false;
    const totalPairs = eligible.length * plan.length;
    const phaseStart = { at: Date.now() };
    const emit = (phase: ReplayPhase, done: number, total: number, errors = 0) => {
      const elapsedMs = Date.now() - phaseStart.at;
      const ratePerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
      hooks.onProgress?.({
        phase,
        done,
        total,
        errors,
        ratePerSecond,
        ...(ratePerSecond > 0 && done < total ? { etaMs: ((total - done) / ratePerSecond) * 1000 } : {}),
        elapsedMs,
      });
    };

    if (upload === 'self') {
      const acknowledged = new Map<string, number>();
      emit('registering', 0, totalPairs);
      const reports = await Promise.all(
        plan.map((c) =>
          uploadPack({
            recordsUrl: urls.records,
            clientId: c.clientId,
            auth: { type: 'api-key', apiKey: c.apiKey! },
            pack: opts.pack,
            journal: ':memory:',
            profile: info.profile,
            clock,
            logger,
            onProgress: (p) => {
              acknowledged.set(c.clientId, p.acknowledged);
              emit(
                'registering',
                [...acknowledged.values()].reduce((a, b) => a + b, 0),
                totalPairs,
              );
            },
          }),
        ),
      );
      uploads = reports.map((r) => ({
        clientId: r.clientId,
        outcome: r.outcome,
        message: r.message,
        acknowledged: r.acknowledged,
        toSend: r.toSend,
      }));
      for (const r of reports)
        if (r.outcome !== 'complete') notice(`replay's upload for ${r.clientId} is ${r.outcome}: ${r.message}`);
      for (const c of plan) registered.set(c.clientId, await registeredOf(c));
    } else {
      notice(
        `waiting up to ${seconds(timeoutMs)} for your Record Service client to register ${eligible.length} patients at ${urls.records} as ${clientList}`,
      );
      const deadline = Date.now() + timeoutMs;
      let last = -1;
      let lastChange = Date.now();
      for (;;) {
        registered = new Map(await Promise.all(plan.map(async (c) => [c.clientId, await registeredOf(c)] as const)));
        const arrived = [...registered.values()].reduce((a, s) => a + s.size, 0);
        emit('waiting-for-upload', arrived, totalPairs);
        if (arrived === totalPairs) break;
        const now = Date.now();
        if (arrived !== last) {
          last = arrived;
          lastChange = now;
        }
        if (now >= deadline) break;
        if (arrived > 0 && now - lastChange >= Math.min(timeoutMs, UPLOAD_SETTLE_MS)) break;
        await sleep(pollMs);
      }
      nothingArrived = [...registered.values()].every((s) => s.size === 0);
      // Registrations from before this run trigger no pull unless onboarding changed the endpoint.
      for (const c of plan.filter((x) => !x.endpointChanged)) {
        const before = (await access.registered(c.clientId, runStart)).filter((n) => eligibleSet.has(n));
        await access.schedule(c.clientId, before);
      }
    }
    const missing = totalPairs - [...registered.values()].reduce((a, s) => a + s.size, 0);
    let explain: string | undefined;
    if (missing > 0) {
      const verdicts = await fetchVerdicts(urls.base, { since: runStart, limit: 20 }).catch(() => undefined);
      explain = verdicts ? renderVerdicts(verdicts, { url: urls.base, since: runStart }) : undefined;
      notice(
        nothingArrived
          ? `no registrations arrived at ${urls.records} within ${seconds(timeoutMs)} for ${clientList}; what the Record Service saw during the run is below (pca-harness explain)`
          : `${missing} of ${totalPairs} patient registrations are missing for ${clientList}; their comparisons are errors. What the Record Service saw during the run is below (pca-harness explain)`,
      );
    }

    // 2. Pulls.
    const expectedPulls = [...registered.values()].reduce((a, s) => a + s.size, 0);
    phaseStart.at = Date.now();
    let stalled = false;
    let finished = 0;
    let failed = 0;
    if (expectedPulls > 0) {
      let lastFinished = -1;
      let lastChange = Date.now();
      for (;;) {
        const ps = await Promise.all(plan.map((c) => access.progress(c.clientId, since)));
        const pending = ps.reduce((a, p) => a + p.pending, 0);
        finished = ps.reduce((a, p, i) => a + Math.min(p.total, registered.get(plan[i]!.clientId)!.size), 0);
        failed = ps.reduce((a, p) => a + p.failed, 0);
        emit('pulling', finished, expectedPulls, failed);
        if (pending === 0) break;
        const now = Date.now();
        if (finished !== lastFinished) {
          lastFinished = finished;
          lastChange = now;
        } else if (now - lastChange >= timeoutMs) {
          stalled = true;
          notice(
            `the pulls made no progress for ${seconds(timeoutMs)} (${pending} still pending); the patients not pulled are reported as errors`,
          );
          break;
        }
        await sleep(pollMs);
      }
    }

    // 3. EVA.
    phaseStart.at = Date.now();
    const pulled = new Map<string, Map<string, PulledResponse>>();
    for (const c of plan)
      pulled.set(c.clientId, await access.latestPulls(c.clientId, [...registered.get(c.clientId)!], since));
    const tally = new EvaTally();
    const verdicts: PatientVerdict[] = [];
    let schemaInvalid = 0;
    let withStatus = 0;
    let pulls = 0;
    let unauthorised = 0;
    const add = (v: PatientVerdict) => {
      verdicts.push(v);
      tally.add(v);
    };
    opts.pack.patients.forEach((patient: PackPatient, patientIndex: number) => {
      if (!eligibleSet.has(patient.nhsNumber)) return;
      for (const c of plan) {
        const base = {
          nhsNumber: patient.nhsNumber,
          resourceType: c.resourceType,
          patientIndex,
          ...(patient.scenario ? { scenario: patient.scenario } : {}),
        };
        const expectedRaw = index.expected(patient.nhsNumber, c.resourceType);
        // Remote pull bodies come back masked; masking the pack the same way keeps the comparison fair.
        const expected = access.masked && expectedRaw ? redact(expectedRaw) : expectedRaw;
        if (!registered.get(c.clientId)!.has(patient.nhsNumber)) {
          add(
            comparePatientResponse(
              {
                ...base,
                expected,
                body: undefined,
                error: `not registered for clientId ${c.clientId}, so the aggregator never asked the supplier`,
              },
              compare,
            ),
          );
          continue;
        }
        const r = pulled.get(c.clientId)!.get(patient.nhsNumber);
        if (!r) {
          add(
            comparePatientResponse(
              {
                ...base,
                expected,
                body: undefined,
                error: `registered for clientId ${c.clientId}, but not pulled${stalled ? ` (the pulls stalled for ${seconds(timeoutMs)})` : ''}`,
              },
              compare,
            ),
          );
          continue;
        }
        pulls += 1;
        if (r.status !== undefined) withStatus += 1;
        if (r.status === 401) unauthorised += 1;
        if (r.schemaValid === false) schemaInvalid += 1;
        add(
          comparePatientResponse(
            {
              ...base,
              expected,
              ...(r.status !== undefined ? { status: r.status } : {}),
              body: r.body ?? r.bodyText,
              ...(r.status === undefined ? { error: r.message ?? r.outcome } : {}),
              durationMs: r.latencyMs,
            },
            compare,
          ),
        );
      }
      emit('comparing', verdicts.length, totalPairs);
    });
    if (schemaInvalid > 0)
      notice(
        `${schemaInvalid} pull(s) answered 200 with a body that fails the producer schema; \`pca-harness check\` names the rule each breaks`,
      );
    if (pulls > 0 && unauthorised === pulls) {
      notice(
        `the supplier answered 401 to every pull: check that it trusts the NHS login issuer ${urls.issuer} and accepts the access tokens from ${opts.auth.type === 'client_credentials' ? opts.auth.tokenUrl : 'the --bearer token'}`,
      );
    }
    const unreachable = pulls > 0 && withStatus === 0;
    if (unreachable) notice(`no pull got an HTTP answer from the supplier at ${supplierUrl}: is it still running?`);

    // 4. What the NHS App would see.
    phaseStart.at = Date.now();
    const sample = appViewPatients(opts.pack, started, opts.appViewSamples ?? DEFAULT_APP_VIEW_SAMPLES);
    const appView = [];
    for (const p of sample) {
      appView.push(await sampleAppView(urls, p));
      emit('app-view', appView.length, sample.length);
    }

    const finishedAt = clock.now();
    const totals = tally.totals();
    const run: EvaRun & { totals: EvaTotals } = {
      title: 'pca-harness replay: expected versus actual',
      supplier: supplierUrl,
      pack: opts.pack.name,
      startedAt: started.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - started.getTime(),
      ignore: compare.ignore,
      verdicts,
      totals,
      appView,
    };
    const reportFiles = opts.reportDir
      ? await writeReportFiles(opts.reportDir, { ...renderEvaReports(run) })
      : undefined;
    return {
      outcome: unreachable ? 'unreachable' : totals.passed ? 'passed' : 'failed',
      run,
      platform: {
        url: urls.base,
        issuer: urls.issuer,
        records: urls.records,
        startedByReplay: opened.startedByReplay,
        rate: info.rate,
      },
      upload,
      clients: plan.map((c) => ({
        clientId: c.clientId,
        resourceType: c.resourceType,
        path: c.path,
        registered: registered.get(c.clientId)!.size,
      })),
      registration: {
        patients: opts.pack.patients.length,
        eligible: eligible.length,
        skipped,
        missing,
        nothingArrived,
        ...(uploads ? { uploads } : {}),
      },
      pulls: { expected: expectedPulls, finished, failed, schemaInvalid, stalled },
      notices,
      ...(explain ? { explain } : {}),
      ...(reportFiles ? { reportFiles } : {}),
    };
  } finally {
    await opened.close();
  }
}
