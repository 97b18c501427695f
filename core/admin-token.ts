/**
 * The platform's admin credential, shared by the platform (which checks it) and every client of the
 * `/_harness` admin routes (which send it). When the platform listens beyond loopback its admin
 * routes need `Authorization: Bearer <token>`; the token is `platform.adminToken`
 * (`PCA_HARNESS_PLATFORM_ADMIN_TOKEN`) or, when that is empty, generated once into
 * `<stateDir>/admin-token` (mode 0600).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const ADMIN_TOKEN_ENV = 'PCA_HARNESS_PLATFORM_ADMIN_TOKEN';

/** True for addresses and names that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export function adminTokenPath(stateDir: string): string {
  return path.join(stateDir, ADMIN_TOKEN_FILE);
}

function readTokenFile(file: string): string | undefined {
  try {
    const t = readFileSync(file, 'utf8').trim();
    return t === '' ? undefined : t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface AdminToken {
  token: string;
  /** Where it is kept; undefined when configured or in memory. */
  file?: string;
  /** True when this call generated it (the only time it is printed). */
  created: boolean;
}

/** The configured token, else the one in the state dir, else a new one written there (or kept in memory for `:memory:`). */
export function loadOrCreateAdminToken(stateDir: string, configured?: string): AdminToken {
  if (configured) return { token: configured, created: false };
  const token = () => randomBytes(32).toString('base64url');
  if (stateDir === ':memory:') return { token: token(), created: true };
  const file = adminTokenPath(stateDir);
  const held = readTokenFile(file);
  if (held) return { token: held, file, created: false };
  mkdirSync(stateDir, { recursive: true });
  const fresh = token();
  writeFileSync(file, `${fresh}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token: fresh, file, created: true };
}

/**
 * What a client of the admin routes sends: `--admin-token`, else the configured one (config file or
 * env), else the platform's file in the state dir when this machine shares it; undefined when none.
 */
export function resolveAdminToken(opts: { flag?: string; configured?: string; stateDir?: string }): string | undefined {
  if (opts.flag) return opts.flag;
  if (opts.configured) return opts.configured;
  if (!opts.stateDir || opts.stateDir === ':memory:') return undefined;
  try {
    return readTokenFile(adminTokenPath(opts.stateDir));
  } catch {
    return undefined;
  }
}

/** Headers for an admin call: the bearer when there is a token, nothing otherwise. */
export function adminHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Constant-time comparison of a presented bearer with the token. */
export function adminTokenMatches(presented: string | undefined, token: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
