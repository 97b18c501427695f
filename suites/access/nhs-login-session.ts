/**
 * The NHS login a check run mints ID tokens from. Without a platform, `check` runs the mock itself,
 * on the host and port of the issuer the supplier is configured to trust (default
 * http://127.0.0.1:7070/nhs-login), with its key in the state directory so the JWKS a supplier has
 * cached stays valid from run to run. When that port is taken by a running harness platform, that
 * platform's NHS login is used; when it is taken by something else, the mock falls back to a free
 * port and says what that means.
 */
import { fetchWithTimeout, listen, type RunningServer } from '../../core/http';
import { KeyRing, type SigningKey } from '../../core/keys';
import type { Clock } from '../../core/clock';
import { createNhsLoginApp, NHS_LOGIN_KEY, NHS_LOGIN_MOUNT } from '../../mocks/nhs-login/app';
import type { FixturePack } from '../../fixtures/pack';
import { PackIndex } from '../../fixtures/pack';
import type { NhsLoginAccess } from './credentials';

export interface NhsLoginSession extends NhsLoginAccess {
  /** The issuer tokens carry. */
  issuer: string;
  /** True when the NHS login outlives this run (a running platform), so curl commands can mint from it. */
  persistent: boolean;
  /** What a person should know about how the mock was started. */
  notice?: string;
  close(): Promise<void>;
}

export interface StartNhsLoginOptions {
  /** The issuer the supplier trusts (config supplier.nhsLoginIssuer). */
  issuer: string;
  /** Where the signing key persists; undefined keeps it in memory (tests). */
  stateDir?: string;
  pack: FixturePack;
  clock?: Clock;
  /** A key ring to use instead of one in the state directory (tests share one to save key generation). */
  keyRing?: KeyRing;
}

/** Host and port to listen on for an issuer this machine can serve, or undefined. */
function localListenTarget(issuer: string): { host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || u.pathname.replace(/\/$/, '') !== NHS_LOGIN_MOUNT) return undefined;
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, '');
  if (!['127.0.0.1', '::1'].includes(host)) return undefined;
  return { host, port: u.port ? Number(u.port) : 80 };
}

async function runningNhsLogin(issuer: string): Promise<boolean> {
  try {
    const res = await fetchWithTimeout<{ issuer?: unknown }>(
      `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      { timeoutMs: 2_000 },
    );
    return res.status === 200 && res.json?.issuer === issuer.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export async function startNhsLogin(opts: StartNhsLoginOptions): Promise<NhsLoginSession> {
  const keyRing = opts.keyRing ?? new KeyRing(opts.stateDir);
  const index = new PackIndex(opts.pack);
  let issuer = opts.issuer.replace(/\/$/, '');
  const app = createNhsLoginApp({
    keyRing,
    issuer: () => issuer,
    clock: opts.clock,
    patients: (n) => {
      const p = index.get(n);
      return p ? { birthDate: p.birthDate, familyName: p.name.family } : undefined;
    },
  });
  const signingKey: SigningKey = await keyRing.get(NHS_LOGIN_KEY);
  const target = localListenTarget(issuer);
  let server: RunningServer | undefined;
  let notice: string | undefined;
  if (target) {
    try {
      server = await listen(app, target.port, target.host);
      // Port 0 (tests): the issuer is wherever the mock landed.
      if (target.port === 0) issuer = `${server.url}${NHS_LOGIN_MOUNT}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
      if (await runningNhsLogin(issuer)) {
        return {
          url: issuer,
          issuer,
          signingKey,
          persistent: true,
          notice: `port ${target.port} is in use by a running NHS login mock (${issuer}); its tokens are used${opts.stateDir ? ' (other-issuer tokens need it to share this state directory)' : ''}`,
          close: async () => undefined,
        };
      }
      notice = `port ${target.port} is in use, so the NHS login mock runs on another port; a supplier that trusts ${issuer} will refuse its ID tokens (free the port, or point the supplier at the issuer below)`;
    }
  } else {
    notice = `the supplier's NHS login issuer ${issuer} is not a local http address this process can serve, so the NHS login mock runs on a free port; configure the supplier to trust the issuer below for these checks`;
  }
  if (!server) {
    server = await listen(app, 0, '127.0.0.1');
    issuer = `${server.url}${NHS_LOGIN_MOUNT}`;
    notice = `${notice}: ${issuer}`;
  }
  const running = server;
  return {
    url: issuer,
    issuer,
    signingKey,
    persistent: false,
    ...(notice ? { notice } : {}),
    close: () => running.close(),
  };
}

/** A running platform: its URL, and (in process) its NHS login key. `startPlatform`'s handle is one. */
export interface PlatformRef {
  url: string;
  /** The platform's admin token, for a platform bound beyond loopback (its `/_harness` routes need it). */
  adminToken?: string;
  nhsLoginSigningKey?: () => Promise<SigningKey>;
}

export interface OpenNhsLoginOptions {
  /** A running platform whose NHS login mints the tokens; without one the mock is started on `issuer`. */
  platform?: PlatformRef;
  issuer: string;
  /** Where keys persist; with a platform, its NHS login key is read from here when it is the platform's. */
  stateDir?: string;
  pack: FixturePack;
  clock?: Clock;
}

/** The NHS login a run mints ID tokens from: the platform's, or a mock started for the run (close it after). */
export async function openNhsLogin(opts: OpenNhsLoginOptions): Promise<NhsLoginSession> {
  if (!opts.platform)
    return startNhsLogin({
      issuer: opts.issuer,
      stateDir: opts.stateDir,
      pack: opts.pack,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  const issuer = `${opts.platform.url.replace(/\/+$/, '')}${NHS_LOGIN_MOUNT}`;
  // The platform's own key signs other-issuer tokens: in process from the handle, else when its state dir is ours.
  const signingKey = opts.platform.nhsLoginSigningKey
    ? await opts.platform.nhsLoginSigningKey()
    : opts.stateDir
      ? await new KeyRing(opts.stateDir).get(NHS_LOGIN_KEY)
      : undefined;
  return {
    url: issuer,
    issuer,
    persistent: true,
    ...(signingKey ? { signingKey } : {}),
    ...(opts.platform.adminToken ? { adminToken: opts.platform.adminToken } : {}),
    close: async () => undefined,
  };
}
