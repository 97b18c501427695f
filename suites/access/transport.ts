/**
 * The real transport checks are given: HTTP with a timeout, and pacing per endpoint so that the
 * harness never trips the 60 TPS limit it is testing (only the throttle burst is unpaced).
 */
import { fetchWithTimeout } from '../../core/http';
import type { HttpRequest, HttpResponse, Transport } from '../checks/check';

export interface HttpTransportOptions {
  timeoutMs?: number;
  /**
   * Token bucket per endpoint: up to `burst` at once, refilled at `ratePerSecond`. Any one-second
   * window then holds at most burst + rate requests, which must stay below the supplier's 60 TPS.
   */
  burst?: number;
  ratePerSecond?: number;
  /** The pacing's clock (default performance.now and setTimeout); tests pass virtual time. */
  clock?: PacingClock;
}

/** Monotonic milliseconds and a way to wait. */
export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realPacingClock: PacingClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

class Bucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly burst: number,
    private readonly rate: number,
    private readonly clock: PacingClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  take(): Promise<void> {
    const next = this.queue.then(async () => {
      for (;;) {
        const now = this.clock.now();
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      }
    });
    this.queue = next;
    return next;
  }
}

function endpointKey(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export function httpTransport(opts: HttpTransportOptions = {}): Transport {
  const burst = opts.burst ?? 25;
  const rate = opts.ratePerSecond ?? 25;
  const buckets = new Map<string, Bucket>();
  return async (req: HttpRequest): Promise<HttpResponse> => {
    if (!req.unpaced) {
      const key = endpointKey(req.url);
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = new Bucket(burst, rate, opts.clock ?? realPacingClock)));
      await b.take();
    }
    const res = await fetchWithTimeout(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      timeoutMs: opts.timeoutMs ?? 15_000,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    let json: unknown;
    if (res.text) {
      try {
        json = JSON.parse(res.text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, headers, text: res.text, json, latencyMs: res.latencyMs };
  };
}
