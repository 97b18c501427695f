/**
 * The mock PCA platform: one Express app, one port, everything a supplier talks to.
 *
 *   /nhs-login   NHS login mock (OIDC discovery, JWKS, ID tokens for pack patients)
 *   /oauth2      API-platform OAuth mock (signed-JWT client credentials)
 *   /records     Record Service (registrations, diagnostics under /_harness/records)
 *   /aggregator  consumer API (`GET /aggregator/events`)
 *   /_harness    health, config, supplier clients, contract passes, the pull journal
 *
 * Registrations and pulls live in SQLite in the state directory (`:memory:` in tests); signing keys
 * persist there too, so JWKS stay stable across restarts. Every dependency is built here and handed
 * down; nothing is module-level, so tests start as many platforms as they like on port 0.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { type AdminToken, isLoopbackHost, loadOrCreateAdminToken } from '../core/admin-token';
import { type Clock, systemClock, yearsAgo } from '../core/clock';
import { type HarnessConfig, redactedConfig } from '../core/config';
import { correlationId, listen, type RunningServer } from '../core/http';
import { KeyRing } from '../core/keys';
import { type Logger, silentLogger } from '../core/logger';
import { acquireStateLock, type StateLock } from '../core/state-lock';
import { mintIdToken } from '../core/tokens';
import { validateProducerBundle } from '../contracts/validate';
import { type FixturePack, PackIndex } from '../fixtures/pack';
import { loadPack } from '../fixtures/default-pack';
import { adminGuard, type AdminGuardState, ownHosts } from './admin-guard';
import { aggregatorClientExtension, createPullAdminRouter } from './aggregator/admin';
import { harnessError } from './harness-errors';
import { createClientAdminRouter } from './record-service/client-admin';
import { businessRules } from './aggregator/business-rules';
import { type AggregatorLimits, createAggregator, type WorkGauge } from './aggregator/consumer';
import { createConsumerHarnessRouter, MaintenanceSwitch } from './aggregator/maintenance';
import { packSources } from './aggregator/sources';
import { CONTRACT_PASS_FILE, type ContractPassFile, ContractPasses } from './aggregator/contract-passes';
import { pullTarget, type SupplierDirectory } from './aggregator/directory';
import { PullStore } from './aggregator/pull-store';
import { PullScheduler, type ScheduleResult } from './aggregator/scheduler';
import { BearerTokenCache } from './aggregator/upstream';
import { createNhsLoginRouter, NHS_LOGIN_KEY, NHS_LOGIN_MOUNT } from './nhs-login/app';
import { createOAuthRouter, JtiCache, OAUTH_MOUNT } from './oauth/app';
import { createRecordServiceRouter } from './record-service/app';
import { ClientRegistry } from './record-service/clients';
import { openRegistrationStore, registrationStorePath, type RegistrationStore } from './record-service/store';

export const AGGREGATOR_DB_FILE = 'aggregator.sqlite';
/** Age of the ID token minted for a pull when the pack does not know the patient. */
export const DEFAULT_ADULT_AGE = 40;

export interface PlatformOptions {
  config: HarnessConfig;
  /** The fixture pack; default: `config.pack`, or the embedded default pack built for today. */
  pack?: FixturePack;
  /** Where state lives; default `config.stateDir`. `:memory:` keeps everything in memory (tests). */
  stateDir?: string;
  clock?: Clock;
  logger?: Logger;
  /** Consumer API limits; default `config.platform.aggregator`, then the specs' values. */
  aggregator?: AggregatorLimits;
  /** Timeout of each scheduled pull; default the producer standard's 9 s. */
  pullTimeoutMs?: number;
}

export interface PlatformUrls {
  base: string;
  issuer: string;
  jwks: string;
  openidConfiguration: string;
  tokenUrl: string;
  records: string;
  events: string;
  harness: string;
  health: string;
  config: string;
  clients: string;
  pulls: string;
  pullSummary: string;
  diagnostics: string;
}

/** How the admin surface is protected, once the platform listens. */
export interface PlatformAdmin {
  /** The address it is bound to, as given (`0.0.0.0` for all interfaces). */
  bindHost: string;
  /** True when admin callers need the token (bound beyond loopback). */
  tokenRequired: boolean;
  /** The token, when one is in force (required, or configured). */
  token?: string;
  /** Where the token is kept, when generated into the state dir. */
  tokenFile?: string;
  /** True when this start generated the token: the one time it is shown. */
  tokenCreated: boolean;
}

export interface Platform {
  app: Express;
  /** The admin surface's protection; `tokenRequired` is decided by the bind address at start. */
  admin(): PlatformAdmin;
  /** Listens (default: config host and port); resolves once listening. One server per platform. */
  start(port?: number, host?: string): Promise<RunningServer>;
  /** Stops the scheduler, closes the server and the databases. Safe to call twice. */
  stop(): Promise<void>;
  store: RegistrationStore;
  scheduler: PullScheduler;
  clients: ClientRegistry;
  passes: ContractPasses;
  /** Consumer work under way (requests + supplier calls). */
  gauge: WorkGauge;
  /** WF-NFR-06: on, the consumer API answers 503 (also `PUT /_harness/maintenance`). */
  maintenance: MaintenanceSwitch;
  pack: FixturePack;
  keyRing: KeyRing;
  /** The base URL others use: `config.platform.publicUrl`, else derived from where it listens. */
  readonly url: string;
  urls(): PlatformUrls;
  /** Queues a pull of every patient registered for the client. */
  scheduleRegistered(clientId: string): ScheduleResult;
}

function loopbackFor(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export function platformUrls(base: string): PlatformUrls {
  const b = base.replace(/\/+$/, '');
  const issuer = `${b}${NHS_LOGIN_MOUNT}`;
  return {
    base: b,
    issuer,
    jwks: `${issuer}/.well-known/jwks.json`,
    openidConfiguration: `${issuer}/.well-known/openid-configuration`,
    tokenUrl: `${b}${OAUTH_MOUNT}/token`,
    records: `${b}/records`,
    events: `${b}/aggregator/events`,
    harness: `${b}/_harness`,
    health: `${b}/_harness/health`,
    config: `${b}/_harness/config`,
    clients: `${b}/_harness/clients`,
    pulls: `${b}/_harness/pulls`,
    pullSummary: `${b}/_harness/pulls/summary`,
    diagnostics: `${b}/_harness/records/diagnostics`,
  };
}

function openAggregatorDb(stateDir: string): Database.Database {
  if (stateDir === ':memory:') return new Database(':memory:');
  mkdirSync(stateDir, { recursive: true });
  const db = new Database(path.join(stateDir, AGGREGATOR_DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * `pca-harness check` run without a platform leaves its passes in `<stateDir>/contract-pass.json`;
 * the next platform on that state directory takes any that are newer than what it holds.
 */
function importContractPassFile(stateDir: string, passes: ContractPasses, logger: Logger): void {
  const file = path.join(stateDir, CONTRACT_PASS_FILE);
  let parsed: Partial<ContractPassFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ContractPassFile>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: e }, 'contract-pass file not read');
    return;
  }
  for (const p of Array.isArray(parsed.passes) ? parsed.passes : []) {
    if (typeof p?.clientId !== 'string' || typeof p.passedAt !== 'string' || Number.isNaN(Date.parse(p.passedAt)))
      continue;
    const held = passes.get(p.clientId);
    if (held && Date.parse(held.passedAt) >= Date.parse(p.passedAt)) continue;
    passes.record(p.clientId, new Date(p.passedAt), {
      supplier: p.supplierUrl,
      summary: p.summary,
      ...(p.report ? { report: p.report } : {}),
      from: CONTRACT_PASS_FILE,
    });
  }
}

export function createPlatform(opts: PlatformOptions): Platform {
  const config = opts.config;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger();
  const stateDir = opts.stateDir ?? config.stateDir;
  const inMemory = stateDir === ':memory:';
  const pack = opts.pack ?? loadPack(config.pack || undefined, clock.now());
  const index = new PackIndex(pack);
  const clients = new ClientRegistry(config.platform.clients);
  // One platform per state directory: taken before any database opens, released by stop().
  const lock: StateLock | undefined = inMemory ? undefined : acquireStateLock(stateDir, 'pca-harness platform');
  let keyRing: KeyRing;
  let store: RegistrationStore;
  let aggregatorDb: Database.Database;
  try {
    keyRing = new KeyRing(inMemory ? undefined : stateDir);
    store = openRegistrationStore(inMemory ? ':memory:' : registrationStorePath(stateDir), {
      onListenerError: (e) => logger.error({ err: e }, 'a registration listener failed'),
    });
    try {
      aggregatorDb = openAggregatorDb(stateDir);
    } catch (e) {
      store.close();
      throw e;
    }
  } catch (e) {
    lock?.release();
    throw e;
  }
  const passes = new ContractPasses(aggregatorDb);
  if (!inMemory) importContractPassFile(stateDir, passes, logger);
  const pulls = new PullStore(aggregatorDb);
  const tokens = new BearerTokenCache(clock);
  const directory: SupplierDirectory = { client: (id) => clients.get(id), contractPassed: (id) => passes.has(id) };
  const limits: AggregatorLimits = { ...config.platform.aggregator, ...opts.aggregator };

  let running: RunningServer | undefined;
  const configuredBase = config.platform.publicUrl
    ? config.platform.publicUrl.replace(/\/+$/, '')
    : `http://${loopbackFor(config.platform.host)}:${config.platform.port}`;
  const base = (): string => {
    if (config.platform.publicUrl || !running) return configuredBase;
    return running.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
  };
  const issuer = () => `${base()}${NHS_LOGIN_MOUNT}`;
  const tokenUrl = () => `${base()}${OAUTH_MOUNT}/token`;

  const idTokenFor = async (nhsNumber: string): Promise<string> => {
    const p = index.get(nhsNumber);
    const key = await keyRing.get(NHS_LOGIN_KEY);
    const birthDate = p?.birthDate ?? yearsAgo(clock.now(), DEFAULT_ADULT_AGE);
    return (await mintIdToken(key, { issuer: issuer(), nhsNumber, birthDate, familyName: p?.name.family, clock }))
      .token;
  };

  const scheduler = new PullScheduler({
    directory,
    store: pulls,
    tokens,
    idTokenFor,
    validate: validateProducerBundle,
    rate: config.platform.pullRate,
    timeoutMs: opts.pullTimeoutMs,
    clock,
    logger,
  });

  const scheduleRegistered = (clientId: string): ScheduleResult => {
    const total: ScheduleResult = { clientId, queued: 0, alreadyQueued: 0 };
    let after: string | undefined;
    for (;;) {
      const page = store.registrationsOf(clientId, { after, limit: 1000 });
      if (page.length === 0) break;
      const r = scheduler.schedule(
        clientId,
        page.map((x) => x.nhsNumber),
      );
      if (r.notPullable) return { ...total, notPullable: r.notPullable };
      total.queued += r.queued;
      total.alreadyQueued += r.alreadyQueued;
      after = page[page.length - 1]!.nhsNumber;
    }
    return total;
  };

  // New and re-sent registrations are pulled; a re-send is how a supplier says the record changed.
  const unsubscribeRegistered = store.onRegistered((e) => {
    scheduler.schedule(e.clientId, e.nhsNumbers);
  });

  // A client that becomes pullable (endpoint added or changed at runtime) is pulled for everyone it already registered.
  const pullState = new Map<string, string>();
  const stateOf = (clientId: string): string => {
    const t = pullTarget(directory, clientId);
    return t.ok ? JSON.stringify(t.endpoint) : '';
  };
  for (const c of clients.list()) pullState.set(c.clientId, stateOf(c.clientId));
  const unsubscribeClients = clients.onChange((change) => {
    if (change.type === 'removed') {
      pullState.delete(change.clientId);
      return;
    }
    const id = change.client.clientId;
    const now = stateOf(id);
    const before = pullState.get(id) ?? '';
    pullState.set(id, now);
    if (now !== '' && now !== before) scheduleRegistered(id);
  });

  const maintenance = new MaintenanceSwitch(clock);
  const aggregator = createAggregator({
    directory,
    sources: packSources((n) => index.get(n)),
    rules: businessRules(config.platform.aggregator?.businessRules),
    maintenance,
    registrations: { clientIdsFor: (n) => store.clientsFor(n).map((r) => r.clientId) },
    keyRing,
    issuer,
    baseUrl: base,
    tokens,
    validate: validateProducerBundle,
    limits,
    clock,
    logger,
  });

  // The admin guard's view: loopback until start() binds elsewhere.
  let bindHost = config.platform.host;
  let adminToken: AdminToken | undefined = config.platform.adminToken
    ? { token: config.platform.adminToken, created: false }
    : undefined;
  const guardState = (): AdminGuardState => {
    const publicUrl = config.platform.publicUrl;
    const origins = new Set<string>(publicUrl ? [new URL(publicUrl).origin.toLowerCase()] : []);
    return {
      required: !isLoopbackHost(bindHost),
      token: adminToken?.token,
      file: adminToken?.file,
      hosts: ownHosts(bindHost, publicUrl, config.platform.allowedHosts),
      origins,
    };
  };
  let guardCache: AdminGuardState | undefined;

  const started = clock.now();
  const app = express();
  app.disable('x-powered-by');
  app.use(correlationId(logger));
  app.use(adminGuard(() => (guardCache ??= guardState())));
  app.use(
    NHS_LOGIN_MOUNT,
    createNhsLoginRouter({
      keyRing,
      issuer,
      patients: (n) => {
        const p = index.get(n);
        return p ? { birthDate: p.birthDate, familyName: p.name.family } : undefined;
      },
      clock,
      logger,
    }),
  );
  // Used assertion jtis live in the state dir, so a replay is refused after a restart too.
  app.use(
    OAUTH_MOUNT,
    createOAuthRouter({ clients, keyRing, tokenUrl, clock, logger, jtiCache: new JtiCache(aggregatorDb) }),
  );
  app.use('/aggregator', aggregator.router);

  const harness = express.Router();
  harness.get('/', (_req, res) => {
    res.json({ service: 'pca-harness mock platform', urls: platformUrls(base()) });
  });
  harness.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({
      status: 'ok',
      service: 'pca-harness mock platform',
      startedAt: started.toISOString(),
      mode: config.platform.mode,
      profile: config.platform.profile,
      pack: { name: pack.name, patients: pack.patients.length },
      pending: { consumer: aggregator.gauge.pending, pulls: scheduler.pending },
    });
  });
  harness.get('/config', (_req, res) => {
    const effective: HarnessConfig = {
      ...config,
      stateDir,
      platform: { ...config.platform, publicUrl: base(), clients: clients.list() },
    };
    res.set('Cache-Control', 'no-store').json(redactedConfig(effective));
  });
  harness.use(createConsumerHarnessRouter({ maintenance, fanOut: aggregator.fanOut }));
  harness.use(
    createClientAdminRouter({
      clients,
      extension: aggregatorClientExtension({ clients, passes, scheduler, scheduleRegistered, clock }),
    }),
  );
  harness.use(createPullAdminRouter({ scheduler, scheduleRegistered }));
  app.use('/_harness', harness);

  app.use(
    '/',
    createRecordServiceRouter({
      clients,
      mode: config.platform.mode,
      profile: config.platform.profile,
      syntheticRanges: config.syntheticRanges,
      tokenUrl,
      keyRing,
      store,
      clock,
      logger,
      packLookup: (n) => index.get(n),
      contractPassed: (id) => passes.has(id),
      // The client admin is mounted above under /_harness, with the aggregator's extension.
      clientAdmin: false,
    }),
  );

  app.use((req, res) => {
    harnessError(
      res,
      404,
      'not-found',
      `no such endpoint: ${req.method} ${req.path}; the platform's endpoints are listed at GET /_harness`,
    );
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    (res.locals.log ?? logger).error({ err }, 'platform request failed');
    if (res.headersSent) return;
    harnessError(res, 500, 'internal-error', 'the mock platform failed; see the harness log');
  };
  app.use(onError);

  let stopping: Promise<void> | undefined;

  return {
    app,
    store,
    scheduler,
    clients,
    passes,
    gauge: aggregator.gauge,
    maintenance,
    pack,
    keyRing,
    get url() {
      return base();
    },
    urls: () => platformUrls(base()),
    scheduleRegistered,
    admin: () => ({
      bindHost,
      tokenRequired: !isLoopbackHost(bindHost),
      token: adminToken?.token,
      tokenFile: adminToken?.file,
      tokenCreated: adminToken?.created ?? false,
    }),
    async start(port = config.platform.port, host = config.platform.host) {
      if (running) throw new Error(`the platform is already listening on ${running.url}`);
      bindHost = host;
      if (!isLoopbackHost(host)) adminToken ??= loadOrCreateAdminToken(stateDir);
      guardCache = undefined;
      running = await listen(app, port, host);
      logger.info({ url: base(), port: running.port }, 'mock platform listening');
      return running;
    },
    stop() {
      stopping ??= (async () => {
        unsubscribeRegistered();
        unsubscribeClients();
        await scheduler.stop();
        if (running) await running.close();
        store.close();
        if (aggregatorDb.open) aggregatorDb.close();
        lock?.release();
      })();
      return stopping;
    },
  };
}
