/**
 * Rate control for the aggregator: a pacer that spaces work out to a maximum rate (the pull
 * scheduler must never flood a supplier) and a sliding-window limiter that answers 429 above the
 * consumer API's throughput limit (WF-NFR-03). Both read time from a function so tests can drive them.
 */

export type Now = () => number;

const monotonicNow: Now = () => performance.now();
const EPSILON = 1e-9;

/**
 * Token bucket: `rate` tokens a second, at most `burst` saved up. `take()` either spends a token or
 * says how long until one is available, so a caller can sleep exactly that long.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst = 1,
    private readonly now: Now = monotonicNow,
  ) {
    if (!(rate > 0)) throw new Error(`rate must be above 0 per second, got ${rate}`);
    if (!(burst >= 1)) throw new Error(`burst must be at least 1, got ${burst}`);
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
  }

  /** 0 when a token was spent; otherwise the milliseconds to wait before trying again. */
  take(): number {
    this.refill();
    // The epsilon absorbs floating-point dust (39 ms at 25/s is 0.975000...1 tokens).
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate - EPSILON));
  }
}

/**
 * At most `limit` admissions in any `windowMs` window. The window slides per request (a ring of the
 * last `limit` admission times), so a burst at a second boundary cannot double the rate.
 */
export class SlidingWindowLimiter {
  private readonly ring: number[];
  private head = 0;
  private count = 0;

  constructor(
    readonly limit: number,
    readonly windowMs = 1000,
    private readonly now: Now = monotonicNow,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`limit must be a whole number of at least 1, got ${limit}`);
    this.ring = new Array<number>(limit).fill(0);
  }

  /** True (and counted) when admitted; false means answer 429. */
  tryAcquire(): boolean {
    const t = this.now();
    if (this.count < this.limit) {
      this.ring[(this.head + this.count) % this.limit] = t;
      this.count += 1;
      return true;
    }
    // The ring is full: the oldest admission must have left the window.
    const oldest = this.ring[this.head]!;
    if (t - oldest < this.windowMs) return false;
    this.ring[this.head] = t;
    this.head = (this.head + 1) % this.limit;
    return true;
  }

  /** Milliseconds until the next admission is possible (for a Retry-After hint). */
  retryAfterMs(): number {
    if (this.count < this.limit) return 0;
    return Math.max(0, this.windowMs - (this.now() - this.ring[this.head]!));
  }
}
