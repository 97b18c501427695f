/**
 * HTTP plumbing shared by every service and client: listening on a port (0 in tests), the
 * correlation-id middleware, body-parser error mapping, and a fetch with a timeout.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express, {
  type ErrorRequestHandler,
  type Express,
  type NextFunction,
  type Request,
  type Response,
} from 'express';
import type { Logger } from './logger';
import { ExitCode, HarnessError } from './errors';

export const CORRELATION_HEADER = 'X-Correlation-ID';

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts an app; resolves once it listens. `close` also ends idle keep-alive sockets so tests exit. */
export function listen(app: Express | http.RequestListener, port = 0, host = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app as http.RequestListener);
    server.keepAliveTimeout = 5_000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        port: addr.port,
        url: `http://${shownHost}:${addr.port}`,
        close: () =>
          new Promise<void>((res, rej) => {
            server.close((err) => (err ? rej(err) : res()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

declare module 'express-serve-static-core' {
  interface Locals {
    correlationId: string;
    log: Logger;
  }
}

/**
 * Takes `X-Correlation-ID` from the request (or makes one), echoes it on the response and gives the
 * request a child logger that carries it on every line.
 */
export function correlationId(logger: Logger, opts: { echo?: boolean } = {}) {
  const echo = opts.echo ?? true;
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get(CORRELATION_HEADER);
    const id = given && given.length <= 200 ? given : randomUUID();
    res.locals.correlationId = id;
    res.locals.log = logger.child({ correlationId: id });
    if (echo) res.setHeader(CORRELATION_HEADER, id);
    next();
  };
}

export type BodyProblem = 'malformed-json' | 'too-large' | 'wrong-content-type' | 'bad-encoding';

export interface BodyErrorInfo {
  problem: BodyProblem;
  message: string;
  status: number;
}

/** Maps body-parser's errors to something a person can act on. */
export function describeBodyError(err: unknown): BodyErrorInfo | undefined {
  const e = err as { type?: string; status?: number; limit?: number; length?: number; message?: string };
  switch (e?.type) {
    case 'entity.parse.failed':
      return {
        problem: 'malformed-json',
        status: 400,
        message: `request body is not valid JSON: ${e.message ?? ''}`.trim(),
      };
    case 'entity.too.large':
      return {
        problem: 'too-large',
        status: 413,
        message: `request body is ${e.length ?? 'too many'} bytes; the limit is ${e.limit} bytes`,
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { problem: 'bad-encoding', status: 415, message: e.message ?? 'unsupported body encoding' };
    default:
      return undefined;
  }
}

/** An error handler that renders body-parser failures with the service's own error format. */
export function bodyErrorHandler(render: (res: Response, info: BodyErrorInfo) => void): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const info = describeBodyError(err);
    if (!info) return next(err);
    render(res, info);
  };
}

/** True when the request declares a JSON media type (`application/json`, `application/fhir+json`, `...+json`). */
export function isJsonRequest(req: Request): boolean {
  const ct = req.get('content-type');
  if (!ct) return false;
  const type = ct.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** JSON body parser that accepts `application/json` and `+json` types, with a size limit. */
export function jsonBody(limit: string | number = '1mb') {
  return express.json({
    limit,
    type: (req) => {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      return ct === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(ct);
    },
  });
}

export interface FetchResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json?: T;
  latencyMs: number;
}

/** A target (supplier, platform, broker) could not be reached (exit 3). */
export class UnreachableError extends HarnessError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url}: ${(cause as Error)?.message ?? String(cause)}`, ExitCode.unreachable);
    this.name = 'UnreachableError';
  }
}

/** A target did not answer in time (exit 3). */
export class TimeoutError extends HarnessError {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${url} did not answer within ${timeoutMs} ms`, ExitCode.unreachable);
    this.name = 'TimeoutError';
  }
}

/** fetch with a timeout; parses JSON when the body is JSON; connection failures become UnreachableError. */
export async function fetchWithTimeout<T = unknown>(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<FetchResult<T>> {
  const timeoutMs = init.timeoutMs ?? 10_000;
  const started = performance.now();
  let res: globalThis.Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new TimeoutError(url, timeoutMs);
    throw new UnreachableError(url, (e as { cause?: unknown })?.cause ?? e);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new TimeoutError(url, timeoutMs);
    throw new UnreachableError(url, e);
  }
  const latencyMs = performance.now() - started;
  let json: T | undefined;
  if (text && /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, json, latencyMs };
}
