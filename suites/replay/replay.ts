/**
 * `replay`: NHS England's sandbox flow as one call. Register the pack's eligible patients with the
 * mock Record Service (replay posts them itself, or waits for the supplier's own upload client), let
 * the aggregator's scheduler pull each of them from the supplier, compare every pull with what the
 * pack expects (EVA), look at a few patients through the consumer API as the NHS App would, and
 * write the EVA reports. The CLI command and `demo` are thin callers of `runReplay`.
 */
import type { Clock } from '../../core/clock';
import { systemClock } from '../../core/clock';
import { ConfigError, type ClientConfig, DEFAULT_CONFIG, type HarnessConfig } from '../../core/config';
import { httpUrl, type SupplierAccess, supplierAccess } from '../../core/access';
import { DeadlineObserver, type DeadlineReport } from '../../core/deadline';
import { isOperationOutcome, PRODUCER_RESOURCE_TYPES, type ProducerResourceType } from '../../core/fhir';
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
import { DEFAULT_PATHS } from '../../core/resource-types';
import { createPlatform, type Platform } from '../../mocks/platform';
import type { PlatformHandle } from '../../mocks/start';
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
import { consumerViewMismatches, evaJUnitSuites, type EvaRun, renderEvaReports } from '../eva/report';
import { writeReportFiles } from '../report/files';
import { type RunResult, tallyJUnit } from '../report/result';
import { inProcessAccess, type PlatformAccess, type PulledResponse, remoteAccess } from './access';
import { appViewPatients, DEFAULT_APP_VIEW_SAMPLES, sampleAppView } from './app-view';
import { onboardClients, type PlannedClient, type UploadMode } from './clients';

export { REPLAY_CLIENT_IDS, type UploadMode } from './clients';

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
  | { kind: 'remote'; url: string; adminToken?: string };

export interface ReplayOptions {
  /** Base URL of the supplier's API. */
  supplierUrl: string;
  /** The endpoints the supplier offers; default all three at the standard's paths. */
  paths?: Partial<Record<ProducerResourceType, string>>;
  /** How the aggregator authenticates its pulls to the supplier; default client credentials at `{supplierUrl}/oauth2/token` with the default client. */
  access?: SupplierAccess;
  pack: FixturePack;
  /** `self` (default): replay posts /records; `supplier`: replay waits for the supplier's upload client. */
  upload?: UploadMode;
  /** Where the platform comes from: `startPlatform`'s handle, a URL, or one replay starts; default one replay starts with the default config. */
  platform?: ReplayPlatform | PlatformHandle | string;
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

export interface ReplayResult extends RunResult<EvaRun & { totals: EvaTotals }> {
  /** `unreachable`: no pull got an HTTP answer from the supplier. */
  outcome: 'passed' | 'failed' | 'unreachable';
  /** The EVA run (reports are rendered from it); the same object as `report`. */
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
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

interface OpenedPlatform {
  access: PlatformAccess;
  startedByReplay: boolean;
  /** The configured port was taken and a free one used (already warned about). */
  fellBack?: boolean;
  close(): Promise<void>;
}

/** A handle or URL as the platform kind it stands for. */
function platformOf(p: ReplayOptions['platform']): ReplayPlatform {
  if (p === undefined) return { kind: 'start', config: DEFAULT_CONFIG };
  if (typeof p === 'string') return { kind: 'remote', url: p };
  if ('kind' in p) return p;
  return { kind: 'in-process', platform: p.platform };
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
    const access = remoteAccess(httpUrl('--platform-url', p.url), p.adminToken);
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
async function preflight(supplierUrl: string, path: string, access: SupplierAccess): Promise<void> {
  // Any HTTP answer will do (a 400 without patient:identifier is expected): it proves someone listens.
  await fetchWithTimeout(`${supplierUrl}${path}`, { timeoutMs: 10_000 });
  if (access.type === 'client_credentials')
    await fetchAccessToken(access.tokenUrl, access.clientId, access.clientSecret);
}

/** What every phase shares: the run's inputs, resolved once, and the platform it runs on. */
interface ReplayRun {
  opts: ReplayOptions;
  access: SupplierAccess;
  clock: Clock;
  logger: Logger;
  upload: UploadMode;
  timeoutMs: number;
  supplierUrl: string;
  paths: Partial<Record<ProducerResourceType, string>>;
  compare: ReturnType<typeof compileCompareOptions>;
  index: PackIndex;
  started: Date;
  eligible: PackPatient[];
  eligibleSet: Set<string>;
  skipped: Partial<Record<IneligibleReason, number>>;
  notices: string[];
  notice: (m: string) => void;
  /** Progress of the current phase; `startPhase` resets its clock. */
  emit: (phase: ReplayPhase, done: number, total: number, errors?: number) => void;
  startPhase: () => void;
  elapsedMs(since: number): number;
}

/** Inputs checked and resolved, before anything is started: a run that cannot start fails here. */
function prepare(opts: ReplayOptions, hooks: ReplayHooks): ReplayRun {
  const clock = opts.clock ?? systemClock;
  const upload: UploadMode = opts.upload ?? 'self';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new ConfigError('the timeout must be more than zero');
  if (opts.rate !== undefined && !(opts.rate > 0))
    throw new ConfigError('the pull rate must be more than zero pulls a second');
  const supplierUrl = httpUrl('--supplier', opts.supplierUrl);
  const paths = opts.paths ?? { ...DEFAULT_PATHS };
  if (!PRODUCER_RESOURCE_TYPES.some((t) => paths[t] !== undefined))
    throw new ConfigError('replay needs at least one supplier endpoint (appointments, documents or tasks)');
  // Compiled first: a rule that cannot be read is a usage error before anything starts.
  const compare = compileCompareOptions({ alsoIgnore: opts.ignore ?? [] });
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
  const notices: string[] = [];
  const ms = () => clock.now().getTime();
  let phaseStart = ms();
  return {
    opts,
    access: opts.access ?? supplierAccess(supplierUrl, {}, DEFAULT_CONFIG.supplier),
    clock,
    logger: hooks.logger ?? silentLogger(),
    upload,
    timeoutMs,
    supplierUrl,
    paths,
    compare,
    index,
    started,
    eligible,
    eligibleSet: new Set(eligible.map((p) => p.nhsNumber)),
    skipped,
    notices,
    notice: (m) => {
      notices.push(m);
      hooks.onNotice?.(m);
    },
    emit: (phase, done, total, errors = 0) => {
      const elapsedMs = ms() - phaseStart;
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
    },
    startPhase: () => {
      phaseStart = ms();
    },
    elapsedMs: (since) => ms() - since,
  };
}

/** The platform side of a run: where it is, which clients, from when its pulls count. */
interface OnPlatform {
  access: PlatformAccess;
  urls: PlatformAccess['urls'];
  info: Awaited<ReturnType<PlatformAccess['info']>>;
  plan: PlannedClient[];
  clientList: string;
  /** Pulls requested from here on belong to this run. */
  since: string;
  runStart: Date;
  pollMs: number;
}

interface Registration {
  registered: Map<string, Set<string>>;
  uploads?: ReplayResult['registration']['uploads'];
  nothingArrived: boolean;
  missing: number;
  totalPairs: number;
  explain?: string;
}

/** Phase 1: the eligible patients registered, by replay's own upload or by the supplier's, waited for. */
async function register(run: ReplayRun, p: OnPlatform): Promise<Registration> {
  const { opts, eligibleSet, timeoutMs, notice } = run;
  const { access, urls, plan } = p;
  const registeredOf = async (c: PlannedClient): Promise<Set<string>> =>
    new Set((await access.registered(c.clientId)).filter((n) => eligibleSet.has(n)));
  const totalPairs = run.eligible.length * plan.length;
  let registered = new Map<string, Set<string>>();
  let uploads: Registration['uploads'];
  let nothingArrived = false;
  run.startPhase();
  if (run.upload === 'self') {
    const acknowledged = new Map<string, number>();
    run.emit('registering', 0, totalPairs);
    const reports = await Promise.all(
      plan.map((c) =>
        uploadPack({
          recordsUrl: urls.records,
          clientId: c.clientId,
          auth: { type: 'api-key', apiKey: c.apiKey! },
          pack: opts.pack,
          journal: ':memory:',
          profile: p.info.profile,
          clock: run.clock,
          logger: run.logger,
          onProgress: (progress) => {
            acknowledged.set(c.clientId, progress.acknowledged);
            run.emit(
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
      `waiting up to ${seconds(timeoutMs)} for your Record Service client to register ${run.eligible.length} patients at ${urls.records} as ${p.clientList}`,
    );
    const waitStart = run.clock.now().getTime();
    let last = -1;
    let lastChange = waitStart;
    for (;;) {
      registered = new Map(await Promise.all(plan.map(async (c) => [c.clientId, await registeredOf(c)] as const)));
      const arrived = [...registered.values()].reduce((a, s) => a + s.size, 0);
      run.emit('waiting-for-upload', arrived, totalPairs);
      if (arrived === totalPairs) break;
      const now = run.clock.now().getTime();
      if (arrived !== last) {
        last = arrived;
        lastChange = now;
      }
      if (now - waitStart >= timeoutMs) break;
      if (arrived > 0 && now - lastChange >= Math.min(timeoutMs, UPLOAD_SETTLE_MS)) break;
      await sleep(p.pollMs);
    }
    nothingArrived = [...registered.values()].every((s) => s.size === 0);
    // Registrations from before this run trigger no pull unless onboarding changed the endpoint.
    for (const c of plan.filter((x) => !x.endpointChanged)) {
      const before = (await access.registered(c.clientId, p.runStart)).filter((n) => eligibleSet.has(n));
      await access.schedule(c.clientId, before);
    }
  }
  const missing = totalPairs - [...registered.values()].reduce((a, s) => a + s.size, 0);
  let explain: string | undefined;
  if (missing > 0) {
    const verdicts = await fetchVerdicts(urls.base, { since: p.runStart, limit: 20 }).catch(() => undefined);
    explain = verdicts ? renderVerdicts(verdicts, { url: urls.base, since: p.runStart }) : undefined;
    notice(
      nothingArrived
        ? `no registrations arrived at ${urls.records} within ${seconds(timeoutMs)} for ${p.clientList}; what the Record Service saw during the run is below (pca-harness explain)`
        : `${missing} of ${totalPairs} patient registrations are missing for ${p.clientList}; their comparisons are errors. What the Record Service saw during the run is below (pca-harness explain)`,
    );
  }
  return {
    registered,
    ...(uploads ? { uploads } : {}),
    nothingArrived,
    missing,
    totalPairs,
    ...(explain ? { explain } : {}),
  };
}

interface Pulls {
  expected: number;
  finished: number;
  failed: number;
  stalled: boolean;
}

/** Phase 2: wait while the aggregator pulls every registered patient; stop when no progress is made for the timeout. */
async function awaitPulls(run: ReplayRun, p: OnPlatform, reg: Registration): Promise<Pulls> {
  const expected = [...reg.registered.values()].reduce((a, s) => a + s.size, 0);
  run.startPhase();
  let stalled = false;
  let finished = 0;
  let failed = 0;
  if (expected > 0) {
    let lastFinished = -1;
    let lastChange = run.clock.now().getTime();
    for (;;) {
      const ps = await Promise.all(p.plan.map((c) => p.access.progress(c.clientId, p.since)));
      const pending = ps.reduce((a, x) => a + x.pending, 0);
      finished = ps.reduce((a, x, i) => a + Math.min(x.total, reg.registered.get(p.plan[i]!.clientId)!.size), 0);
      failed = ps.reduce((a, x) => a + x.failed, 0);
      run.emit('pulling', finished, expected, failed);
      if (pending === 0) break;
      const now = run.clock.now().getTime();
      if (finished !== lastFinished) {
        lastFinished = finished;
        lastChange = now;
      } else if (now - lastChange >= run.timeoutMs) {
        stalled = true;
        run.notice(
          `the pulls made no progress for ${seconds(run.timeoutMs)} (${pending} still pending); the patients not pulled are reported as errors`,
        );
        break;
      }
      await sleep(p.pollMs);
    }
  }
  return { expected, finished, failed, stalled };
}

interface Comparison {
  verdicts: PatientVerdict[];
  tally: EvaTally;
  deadline: DeadlineReport;
  schemaInvalid: number;
  unreachable: boolean;
}

/** Phase 3: every eligible patient and client pair compared with what the pack expects (EVA). */
async function compareAll(run: ReplayRun, p: OnPlatform, reg: Registration, pullsDone: Pulls): Promise<Comparison> {
  const { opts, compare } = run;
  run.startPhase();
  const pulled = new Map<string, Map<string, PulledResponse>>();
  for (const c of p.plan)
    pulled.set(c.clientId, await p.access.latestPulls(c.clientId, [...reg.registered.get(c.clientId)!], p.since));
  const tally = new EvaTally();
  const verdicts: PatientVerdict[] = [];
  let schemaInvalid = 0;
  let withStatus = 0;
  let pulls = 0;
  let unauthorised = 0;
  // producer:WF-NFR-02, observed passively on every pull the aggregator made (the pull waits CLIENT_TIMEOUT_MS).
  const deadline = new DeadlineObserver();
  const add = (v: PatientVerdict) => {
    verdicts.push(v);
    tally.add(v);
  };
  opts.pack.patients.forEach((patient: PackPatient, patientIndex: number) => {
    if (!run.eligibleSet.has(patient.nhsNumber)) return;
    for (const c of p.plan) {
      const base = {
        nhsNumber: patient.nhsNumber,
        resourceType: c.resourceType,
        patientIndex,
        ...(patient.scenario ? { scenario: patient.scenario } : {}),
      };
      const expectedRaw = run.index.expected(patient.nhsNumber, c.resourceType);
      // Remote pull bodies come back masked; masking the pack the same way keeps the comparison fair.
      const expected = p.access.masked && expectedRaw ? redact(expectedRaw) : expectedRaw;
      if (!reg.registered.get(c.clientId)!.has(patient.nhsNumber)) {
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
              error: `registered for clientId ${c.clientId}, but not pulled${pullsDone.stalled ? ` (the pulls stalled for ${seconds(run.timeoutMs)})` : ''}`,
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
      if (r.status !== undefined)
        deadline.observe(`${c.resourceType} ${c.path}`, `patient ${patientIndex + 1} (${c.clientId})`, {
          status: r.status,
          latencyMs: r.latencyMs,
          operationOutcome: isOperationOutcome(r.body),
        });
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
    run.emit('comparing', verdicts.length, reg.totalPairs);
  });
  if (schemaInvalid > 0)
    run.notice(
      `${schemaInvalid} pull(s) answered 200 with a body that fails the producer schema; \`pca-harness check\` names the rule each breaks`,
    );
  if (pulls > 0 && unauthorised === pulls) {
    run.notice(
      `the supplier answered 401 to every pull: check that it trusts the NHS login issuer ${p.urls.issuer} and accepts the access tokens from ${run.access.type === 'client_credentials' ? run.access.tokenUrl : 'the --bearer token'}`,
    );
  }
  const unreachable = pulls > 0 && withStatus === 0;
  if (unreachable)
    run.notice(`no pull got an HTTP answer from the supplier at ${run.supplierUrl}: is it still running?`);
  const observed = deadline.report();
  if (observed.lateCount > 0)
    run.notice(
      `${observed.lateCount} pull(s) answered after ${observed.deadlineMs.toLocaleString('en-GB')} ms with something other than a 504 and an OperationOutcome (producer:WF-NFR-02); the deadline findings name them`,
    );
  return { verdicts, tally, deadline: observed, schemaInvalid, unreachable };
}

/** Phase 4: a few patients looked up through /aggregator/events, as the NHS App would. */
async function appView(run: ReplayRun, p: OnPlatform): Promise<EvaRun['appView']> {
  run.startPhase();
  const sample = appViewPatients(run.opts.pack, run.started, run.opts.appViewSamples ?? DEFAULT_APP_VIEW_SAMPLES);
  const out = [];
  for (const patient of sample) {
    out.push(await sampleAppView(p.urls, patient, p.access.adminToken));
    run.emit('app-view', out.length, sample.length);
  }
  return out;
}

/** Onboards the clients on an opened platform and fixes the moment from which pulls count. */
async function onPlatform(run: ReplayRun, opened: OpenedPlatform): Promise<OnPlatform> {
  const { access } = opened;
  const urls = access.urls;
  const info = await access.info();
  if (opened.startedByReplay)
    run.notice(`mock platform at ${urls.base} (NHS login issuer ${urls.issuer}), pulling at ${info.rate}/s`);
  const trusted = run.opts.supplierIssuer?.replace(/\/+$/, '');
  if (!opened.fellBack && trusted && trusted !== urls.issuer) {
    run.notice(
      `the supplier is configured to trust the NHS login issuer ${trusted}, but this platform's is ${urls.issuer}: the supplier must trust ${urls.issuer} (and its JWKS ${urls.jwks}) for this run`,
    );
  }
  const since = run.clock.now().toISOString();
  const plan = await onboardClients({
    access,
    upload: run.upload,
    supplierUrl: run.supplierUrl,
    paths: run.paths,
    auth: run.access,
    ...(run.opts.clientIds ? { clientIds: run.opts.clientIds } : {}),
    ...(run.opts.knownClients ? { knownClients: run.opts.knownClients } : {}),
  });
  return {
    access,
    urls,
    info,
    plan,
    clientList: plan.map((c) => `${c.clientId} (${c.resourceType})`).join(', '),
    since,
    runStart: new Date(since),
    pollMs: run.opts.pollMs ?? (access.inProcess ? 100 : 500),
  };
}

/**
 * NHS England's sandbox flow as one call: register the pack's eligible patients, let the aggregator
 * pull them from the supplier, compare every pull with the pack (EVA), look at a few through the
 * consumer API. Throws ConfigError (and its kin) for a run that cannot start, UnreachableError when
 * the supplier or platform is not there. eva.json, junit.xml and eva.html are written only when
 * `reportDir` is given.
 *
 * @example
 * ```ts
 * import { runReplay, startPlatform, defaultPack } from 'pca-harness';
 * const platform = await startPlatform();
 * const result = await runReplay({ supplierUrl: 'http://127.0.0.1:7171', pack: defaultPack(), platform });
 * console.log(result.verdict, result.counts); // 'pass' { passed: 42, failed: 0, skipped: 0, errors: 0 }
 * ```
 */
export async function runReplay(opts: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplayResult> {
  const run = prepare(opts, hooks);
  const firstType = PRODUCER_RESOURCE_TYPES.find((t) => run.paths[t] !== undefined)!;
  await preflight(run.supplierUrl, run.paths[firstType]!, run.access);

  const opened = await openPlatform(platformOf(opts.platform), opts, run.logger, run.notice);
  try {
    const p = await onPlatform(run, opened);
    const reg = await register(run, p);
    const pulls = await awaitPulls(run, p, reg);
    const compared = await compareAll(run, p, reg, pulls);
    const sampled = await appView(run, p);

    const finishedAt = run.clock.now();
    const totals = compared.tally.totals();
    const report: EvaRun & { totals: EvaTotals } = {
      title: 'pca-harness replay: expected versus actual',
      supplier: run.supplierUrl,
      pack: opts.pack.name,
      startedAt: run.started.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - run.started.getTime(),
      ignore: run.compare.ignore,
      verdicts: compared.verdicts,
      totals,
      appView: sampled,
      deadline: compared.deadline,
    };
    const files = opts.reportDir ? await writeReportFiles(opts.reportDir, { ...renderEvaReports(report) }) : undefined;
    const junit = evaJUnitSuites(report);
    const { counts, warnings, findings } = tallyJUnit(junit);
    // The consumer view counts too: what the NHS App gets must be what the pack expects.
    const outcome = compared.unreachable
      ? 'unreachable'
      : totals.passed && consumerViewMismatches(sampled).length === 0 && compared.deadline.lateCount === 0
        ? 'passed'
        : 'failed';
    const matched = counts.passed + counts.warned;
    return {
      outcome,
      verdict: outcome === 'passed' ? 'pass' : outcome === 'unreachable' ? 'error' : 'fail',
      // Counts are the JUnit cases: every supplier comparison plus every compared consumer view.
      headline: `${matched} of ${matched + counts.failed + counts.errors + counts.skipped} comparisons matched${counts.warned ? ` (${counts.warned} with warnings)` : ''}${counts.failed ? `, ${counts.failed} differ` : ''}${counts.errors ? `, ${counts.errors} errors` : ''}`,
      counts,
      ...(warnings.length ? { warnings } : {}),
      findings,
      report,
      junit,
      ...(files ? { files } : {}),
      run: report,
      platform: {
        url: p.urls.base,
        issuer: p.urls.issuer,
        records: p.urls.records,
        startedByReplay: opened.startedByReplay,
        rate: p.info.rate,
      },
      upload: run.upload,
      clients: p.plan.map((c) => ({
        clientId: c.clientId,
        resourceType: c.resourceType,
        path: c.path,
        registered: reg.registered.get(c.clientId)!.size,
      })),
      registration: {
        patients: opts.pack.patients.length,
        eligible: run.eligible.length,
        skipped: run.skipped,
        missing: reg.missing,
        nothingArrived: reg.nothingArrived,
        ...(reg.uploads ? { uploads: reg.uploads } : {}),
      },
      pulls: {
        expected: pulls.expected,
        finished: pulls.finished,
        failed: pulls.failed,
        schemaInvalid: compared.schemaInvalid,
        stalled: pulls.stalled,
      },
      notices: run.notices,
      ...(reg.explain ? { explain: reg.explain } : {}),
    };
  } finally {
    await opened.close();
  }
}
