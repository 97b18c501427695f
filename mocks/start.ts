/**
 * The mocks as a library: start the mock PCA platform or the reference supplier in this process on
 * a port (0, a free one, by default) and get a handle with what a test needs. `serve`, `supplier`
 * and `demo` are thin callers of these.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../core/clock';
import { type DeepPartial, type HarnessConfig, resolveConfig } from '../core/config';
import { UsageError } from '../core/errors';
import { listen } from '../core/http';
import type { SigningKey } from '../core/keys';
import { type Logger, silentLogger } from '../core/logger';
import { maskNhsNumber } from '../core/nhs-number';
import { mintIdToken } from '../core/tokens';
import type { ProofingLevel } from '../core/tokens';
import { buildDefaultPack } from '../fixtures/default-pack';
import { type FixturePack, PackIndex, type PackPatient } from '../fixtures/pack';
import { NHS_LOGIN_KEY } from './nhs-login/app';
import { createPlatform, type Platform, type PlatformUrls } from './platform';
import { fetchVerdicts, type VerdictQuery } from './record-service/remote';
import type { RecordsCallVerdict } from './record-service/verdict';
import type { Express } from 'express';
import { createSupplierApp } from './supplier/app';
import { type FaultName, faultSpec, isFaultName } from './supplier/faults';

/** A patient to mint an ID token for: a pack patient, or the claims themselves. */
export type TokenPatient = Pick<PackPatient, 'nhsNumber' | 'birthDate'> & {
  name?: { family: string };
  familyName?: string;
};

export interface StartPlatformOptions {
  /** Configuration over the defaults (no file or environment is read). */
  config?: DeepPartial<HarnessConfig>;
  /** The fixture pack; default the embedded default pack, built for today. */
  pack?: FixturePack;
  /** Where state lives; default a fresh temporary directory, removed by `close()`. `:memory:` keeps it in memory. */
  stateDir?: string;
  /** Port to listen on; default 0 (a free one). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  logger?: Logger;
  clock?: Clock;
}

/** A running mock platform. */
export interface PlatformHandle {
  /** Base URL, e.g. `http://127.0.0.1:53121`. */
  url: string;
  /** Every URL the platform serves (records, events, NHS login discovery and JWKS, ...). */
  urls: PlatformUrls;
  /** The NHS login issuer a supplier under test must trust for this platform. */
  issuer: string;
  /** The effective configuration. */
  config: HarnessConfig;
  stateDir: string;
  /** The platform itself, for what the handle does not cover (client registry, scheduler, store). */
  platform: Platform;
  /**
   * The admin token `/_harness` routes need when the platform is bound beyond loopback (undefined on
   * loopback, where none is needed). runChecks, runReplay and runLoad send it when handed this handle.
   */
  adminToken?: string;
  /** The NHS login signing key (lets checks sign other-issuer tokens). */
  nhsLoginSigningKey(): Promise<SigningKey>;
  /** An NHS login ID token (P9, valid for an hour) for a patient, signed as the platform's NHS login signs. */
  mintIdToken(patient: TokenPatient | string, options?: { proofingLevel?: ProofingLevel }): Promise<string>;
  /** What the Record Service made of recent `POST /records` calls (NHS numbers masked). */
  recordDiagnostics(query?: VerdictQuery): Promise<RecordsCallVerdict[]>;
  /** Stops the platform (pulls in flight finish, databases close) and removes a temporary state directory. */
  close(): Promise<void>;
}

/**
 * Starts the mock PCA platform (Record Service, aggregator, NHS login, OAuth) in this process.
 *
 * @example
 * ```ts
 * import { startPlatform } from 'pca-harness';
 * const platform = await startPlatform();
 * const token = await platform.mintIdToken('9990000018'); // a default-pack patient
 * await platform.close();
 * ```
 */
export async function startPlatform(opts: StartPlatformOptions = {}): Promise<PlatformHandle> {
  const temporary = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'pca-harness-platform-'));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const base = resolveConfig(opts.config);
  const config: HarnessConfig = { ...base, stateDir, platform: { ...base.platform, host, port } };
  const pack = opts.pack ?? buildDefaultPack(opts.clock?.now() ?? new Date());
  const index = new PackIndex(pack);
  const platform = createPlatform({
    config,
    pack,
    stateDir,
    logger: opts.logger ?? silentLogger(),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  try {
    await platform.start(port, host);
  } catch (e) {
    await platform.stop();
    if (temporary) rmSync(stateDir, { recursive: true, force: true });
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(`${host}:${port} is already in use; stop whatever listens there or choose another port`);
    throw e;
  }
  const urls = platform.urls();
  const signingKey = () => platform.keyRing.get(NHS_LOGIN_KEY);
  const adminToken = platform.admin().token;
  return {
    url: urls.base,
    ...(adminToken ? { adminToken } : {}),
    urls,
    issuer: urls.issuer,
    config,
    stateDir,
    platform,
    nhsLoginSigningKey: signingKey,
    async mintIdToken(patient, options = {}) {
      const p: TokenPatient | undefined = typeof patient === 'string' ? index.get(patient) : patient;
      if (!p) throw new UsageError(`no patient ${maskNhsNumber(String(patient))} in the pack "${pack.name}"`);
      const { token } = await mintIdToken(await signingKey(), {
        issuer: urls.issuer,
        nhsNumber: p.nhsNumber,
        birthDate: p.birthDate,
        familyName: p.familyName ?? p.name?.family,
        ...(options.proofingLevel ? { proofingLevel: options.proofingLevel } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
      return token;
    },
    recordDiagnostics: (query = {}) => fetchVerdicts(urls.base, query, { adminToken }),
    async close() {
      await platform.stop();
      if (temporary) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface StartReferenceSupplierOptions {
  /** The NHS login issuer whose ID tokens the supplier accepts: a platform's `issuer`. */
  nhsLoginIssuer: string;
  /** Break the supplier in one way (`pca-harness supplier --list-faults`); default none (conforming). */
  fault?: FaultName;
  pack?: FixturePack;
  /** Client credentials the PCA presents at `POST /oauth2/token`; default the config's. */
  clientId?: string;
  clientSecret?: string;
  /** Endpoint paths; default /Appointment, /DocumentReference, /Task. */
  paths?: Partial<HarnessConfig['supplier']['paths']>;
  port?: number;
  host?: string;
  logger?: Logger;
  clock?: Clock;
  rateLimitTps?: number;
  deadlineMs?: number;
  latencyMs?: number;
}

/** A running reference supplier. */
export interface SupplierHandle {
  url: string;
  /** `{url}/oauth2/token` (client credentials, client_secret_basic). */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  paths: HarnessConfig['supplier']['paths'];
  fault?: FaultName;
  close(): Promise<void>;
}

/**
 * Starts the reference supplier: a conforming producer API over the pack, or one broken on purpose.
 *
 * @example
 * ```ts
 * import { startPlatform, startReferenceSupplier } from 'pca-harness';
 * const platform = await startPlatform();
 * const supplier = await startReferenceSupplier({ nhsLoginIssuer: platform.issuer, fault: 'drops-cancelled' });
 * // ... runChecks({ supplierUrl: supplier.url, platform }) fails GA checks
 * await supplier.close();
 * await platform.close();
 * ```
 */
export async function startReferenceSupplier(opts: StartReferenceSupplierOptions): Promise<SupplierHandle> {
  const { app, clientId, clientSecret, paths } = buildReferenceSupplier(opts);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  let server;
  try {
    server = await listen(app, port, host);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(`${host}:${port} is already in use; stop whatever listens there or choose another port`);
    throw e;
  }
  return {
    url: server.url,
    tokenUrl: `${server.url}/oauth2/token`,
    clientId,
    clientSecret,
    paths,
    ...(opts.fault ? { fault: opts.fault } : {}),
    close: () => server.close(),
  };
}

/**
 * The reference supplier as an Express app, to mount in your own server or extend: a conforming
 * producer API (`GET {path}?patient:identifier=...`, `POST /oauth2/token`) over the pack.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createReferenceSupplierApp } from 'pca-harness';
 * const app = express();
 * app.get('/health', (_req, res) => res.json({ status: 'ok' }));
 * app.use(createReferenceSupplierApp({ nhsLoginIssuer: platform.issuer }));
 * ```
 */
export function createReferenceSupplierApp(opts: StartReferenceSupplierOptions): Express {
  return buildReferenceSupplier(opts).app;
}

function buildReferenceSupplier(opts: StartReferenceSupplierOptions): {
  app: Express;
  clientId: string;
  clientSecret: string;
  paths: HarnessConfig['supplier']['paths'];
} {
  if (opts.fault !== undefined) {
    if (!isFaultName(opts.fault)) throw new UsageError(`unknown fault "${String(opts.fault)}"`);
    if (faultSpec(opts.fault).affects !== 'api')
      throw new UsageError(`fault "${opts.fault}" breaks the upload client, not the API`);
  }
  const defaults = resolveConfig().supplier;
  const paths = { ...defaults.paths, ...opts.paths };
  const clientId = opts.clientId ?? defaults.clientId;
  const clientSecret = opts.clientSecret ?? defaults.clientSecret;
  let app;
  try {
    app = createSupplierApp({
      pack: opts.pack ?? buildDefaultPack(opts.clock?.now() ?? new Date()),
      ...(opts.fault ? { fault: opts.fault } : {}),
      logger: opts.logger ?? silentLogger(),
      nhsLoginIssuer: opts.nhsLoginIssuer,
      clientId,
      clientSecret,
      paths,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.rateLimitTps !== undefined ? { rateLimitTps: opts.rateLimitTps } : {}),
      ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
      ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { app, clientId, clientSecret, paths };
}
