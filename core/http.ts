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

export type BodyProblem =
  | 'malformed-json'
  | 'too-large'
  | 'too-many-parameters'
  | 'too-deep'
  | 'wrong-content-type'
  | 'bad-encoding'
  | 'bad-body';

export interface BodyErrorInfo {
  problem: BodyProblem;
  message: string;
  status: number;
}

/**
 * How deeply a JSON body may nest. No payload the harness reads comes near it (a FHIR bundle is about
 * ten deep); a hostile one nested thousands deep would otherwise reach recursive code.
 */
export const MAX_JSON_DEPTH = 64;

/** Thrown by `jsonBody` (and mapped to 400 like the parser's own errors) when a body nests deeper than allowed. */
export class BodyTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  readonly expose = true;
  constructor(readonly limit: number) {
    super(`the JSON body nests deeper than ${limit} levels`);
    this.name = 'BodyTooDeepError';
  }
}

/**
 * True when `value` nests objects or arrays deeper than `limit` levels. Iterative, so it is safe on
 * anything, however deep.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return true;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return false;
}

/**
 * Maps body-parser's errors (and `BodyTooDeepError`) to something a person can act on. Every error
 * the parsers raise for the client's input maps to its 4xx; only the parser's own faults stay unmapped.
 */
export function describeBodyError(err: unknown): BodyErrorInfo | undefined {
  const e = err as {
    type?: string;
    status?: number;
    expose?: boolean;
    limit?: number;
    length?: number;
    message?: string;
  };
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
    case 'parameters.too.many':
      return {
        problem: 'too-many-parameters',
        status: 413,
        message:
          'the form body has too many parameters (the limit is 1000); send only the parameters the endpoint reads',
      };
    case 'entity.too.deep':
      return {
        problem: 'too-deep',
        status: 400,
        message: `${e.message ?? 'the JSON body nests too deeply'}; no payload here needs more`,
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { problem: 'bad-encoding', status: 415, message: e.message ?? 'unsupported body encoding' };
    case 'request.aborted':
    case 'request.size.invalid':
      return { problem: 'bad-body', status: 400, message: e.message ?? 'the request body was incomplete' };
    default:
      // Any other error the parsers mark as the client's (a 4xx they expose) keeps its status.
      if (
        typeof e?.type === 'string' &&
        e.expose === true &&
        typeof e.status === 'number' &&
        e.status >= 400 &&
        e.status < 500
      )
        return { problem: 'bad-body', status: e.status, message: e.message ?? 'the request body could not be read' };
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

/**
 * JSON body parser that accepts `application/json` and `+json` types, with a size limit, and refuses
 * bodies nested deeper than `MAX_JSON_DEPTH` (400 `too-deep` through `describeBodyError`).
 */
export function jsonBody(limit: string | number = '1mb') {
  const parse = express.json({
    limit,
    type: (req) => {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      return ct === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(ct);
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) return next(new BodyTooDeepError(MAX_JSON_DEPTH));
      next();
    });
  };
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
