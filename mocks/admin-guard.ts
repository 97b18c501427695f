/**
 * The guard in front of the platform's admin surface (`/_harness/*` and `/nhs-login/_harness/*`):
 * config, clients and their API keys, contract passes, fault injection, reset, ID-token minting and
 * unmasked reconciliation. Always, whatever the bind address:
 *   - the `Host` must be one of the platform's own names (defeats DNS rebinding);
 *   - a request from another origin (`Origin`, `Sec-Fetch-Site`) is refused;
 *   - a state-changing request must not carry a type a browser may send cross-site without asking
 *     (`text/plain`, form or multipart), so a simple-request CSRF cannot reach it.
 * When the platform listens beyond loopback, callers also need `Authorization: Bearer <admin token>`.
 * `GET /_harness/health` stays open: orchestrators probe it, and it reveals nothing.
 */
import { networkInterfaces, hostname } from 'node:os';
import type { NextFunction, Request, Response } from 'express';
import { adminTokenMatches, isLoopbackHost } from '../core/admin-token';

export interface AdminGuardState {
  /** True when callers must present the admin token (the platform listens beyond loopback). */
  required: boolean;
  token?: string;
  /** Where the token is kept, for the 401 message. */
  file?: string;
  /** Host names the admin routes answer to besides loopback ones (bind address, publicUrl, configured). */
  hosts: Set<string>;
  /** Origins besides the request's own (`publicUrl`'s, behind a proxy). */
  origins: Set<string>;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isAdminPath(p: string): boolean {
  return /^\/(nhs-login\/)?_harness(\/|$)/.test(p);
}

function hostOnly(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colons = h.split(':').length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(':')) : h;
}

/** The names this platform answers to when bound to `bindHost`. */
export function ownHosts(bindHost: string, publicUrl: string, allowed: readonly string[] = []): Set<string> {
  const hosts = new Set<string>(allowed.map((h) => hostOnly(h)));
  if (!WILDCARD.has(bindHost)) hosts.add(hostOnly(bindHost.includes(':') ? `[${bindHost}]` : bindHost));
  if (publicUrl) hosts.add(new URL(publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase());
  if (WILDCARD.has(bindHost)) {
    // Bound everywhere: each of this machine's addresses and its name are its own.
    hosts.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) hosts.add(a.address.toLowerCase());
  }
  return hosts;
}

function refuse(res: Response, status: number, error: string, message: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, message });
}

export function adminGuard(state: () => AdminGuardState) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isAdminPath(req.path)) return next();
    if ((req.method === 'GET' || req.method === 'HEAD') && req.path === '/_harness/health') return next();
    const s = state();
    const hostHeader = req.get('host') ?? '';
    const host = hostOnly(hostHeader);
    if (!isLoopbackHost(host) && !s.hosts.has(host))
      return refuse(
        res,
        403,
        'foreign-host',
        `the admin routes answer only to this platform's own host names, not "${hostHeader}"; ` +
          'reach it by its address, or add the name to platform.allowedHosts (or set --public-url)',
      );
    const origin = req.get('origin');
    if (origin !== undefined) {
      const own = `${req.protocol}://${hostHeader.toLowerCase()}`;
      if (origin.toLowerCase() !== own && !s.origins.has(origin.toLowerCase()))
        return refuse(res, 403, 'cross-origin', `the admin routes refuse requests from another origin (${origin})`);
    }
    const site = req.get('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site')
      return refuse(res, 403, 'cross-origin', `the admin routes refuse ${site} requests from a browser`);
    if (!SAFE_METHODS.has(req.method)) {
      const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (SIMPLE_TYPES.has(type))
        return refuse(
          res,
          415,
          'wrong-content-type',
          `the admin routes take JSON (Content-Type: application/json) or no body, not ${type}`,
        );
    }
    if (s.required && s.token !== undefined) {
      const auth = req.get('authorization') ?? '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!adminTokenMatches(m?.[1], s.token)) {
        res.set('WWW-Authenticate', 'Bearer realm="pca-harness admin"');
        return refuse(
          res,
          401,
          'admin-token-required',
          'the platform listens beyond loopback, so its admin routes need Authorization: Bearer <admin token>' +
            (s.file ? ` (the token is in ${s.file}` : ' (the token is platform.adminToken') +
            '; pca-harness commands send it with --admin-token or PCA_HARNESS_PLATFORM_ADMIN_TOKEN)',
        );
      }
    }
    next();
  };
}
