/**
 * The load runner's HTTP transport: node:http with a keep-alive agent sized to the in-flight
 * limit. Plain http.request costs a fraction of what fetch does per call, and a load generator
 * that spends its CPU on its own client measures itself instead of the target (see
 * `npm run bench -- load-runner` for the ceiling). Everything else uses core/http fetchWithTimeout.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface LoadHttpClient {
  send(req: HttpRequest): Promise<HttpReply>;
  close(): void;
}

/** Transport failures carry a short, stable reason: they are counted by it. */
export class TransportError extends Error {
  constructor(
    readonly reason: string,
    /** No answer within the request's timeout (rather than a refused or broken connection). */
    readonly timedOut = false,
  ) {
    super(reason);
    this.name = 'TransportError';
  }
}

export function createLoadHttpClient(maxSockets: number): LoadHttpClient {
  const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(opts);
  const httpsAgent = new https.Agent(opts);
  return {
    send(req: HttpRequest): Promise<HttpReply> {
      return new Promise((resolve, reject) => {
        const isHttps = req.url.protocol === 'https:';
        const headers: Record<string, string> = { ...req.headers };
        if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
        let timedOut = false;
        // Whatever the socket then reports (reset, aborted), the cause was the timeout.
        const fail = (e: unknown): void => {
          clearTimeout(timer);
          reject(
            timedOut
              ? new TransportError(`no answer within ${req.timeoutMs} ms`, true)
              : new TransportError(reasonOf(e)),
          );
        };
        const r = (isHttps ? https : http).request(
          req.url,
          { method: req.method, headers, agent: isHttps ? httpsAgent : httpAgent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              clearTimeout(timer);
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
              });
            });
            res.on('error', fail);
          },
        );
        const timer = setTimeout(() => {
          timedOut = true;
          r.destroy(new Error('timeout'));
        }, req.timeoutMs);
        r.on('error', fail);
        if (req.body !== undefined) r.write(req.body);
        r.end();
      });
    },
    close(): void {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function reasonOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EPIPE':
      return 'connection closed while sending';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connect timed out';
    default:
      return err?.code ? `${err.code}` : (err?.message ?? String(e));
  }
}
