/**
 * Sliding one-second window (WF-NFR-03): a request is admitted when fewer than `limit` requests
 * were admitted in the preceding `windowMs`. A sliding log rather than fixed buckets, so a burst
 * straddling a second boundary cannot get through at twice the limit.
 */
export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private head = 0;

  constructor(
    readonly limit: number,
    readonly windowMs = 1_000,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`rate limit must be a whole number of requests per second, at least 1 (got ${limit})`);
  }

  tryAcquire(nowMs: number): boolean {
    while (this.head < this.stamps.length && this.stamps[this.head]! <= nowMs - this.windowMs) this.head++;
    // Compact now and then so the log stays bounded by the limit.
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
    if (this.stamps.length - this.head >= this.limit) return false;
    this.stamps.push(nowMs);
    return true;
  }
}
