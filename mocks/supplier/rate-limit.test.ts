import { SlidingWindowLimiter } from './rate-limit';

describe('SlidingWindowLimiter', () => {
  it('admits up to the limit within one second and refuses the next', () => {
    const l = new SlidingWindowLimiter(3);
    expect([0, 10, 20, 30].map((t) => l.tryAcquire(t))).toEqual([true, true, true, false]);
  });

  it('slides: a slot frees exactly one window after it was taken', () => {
    const l = new SlidingWindowLimiter(2);
    expect(l.tryAcquire(0)).toBe(true);
    expect(l.tryAcquire(500)).toBe(true);
    expect(l.tryAcquire(999)).toBe(false);
    expect(l.tryAcquire(1000)).toBe(true);
    expect(l.tryAcquire(1400)).toBe(false);
    expect(l.tryAcquire(1500)).toBe(true);
  });

  it('does not let a burst straddling a second boundary through at twice the limit', () => {
    const l = new SlidingWindowLimiter(5);
    const admitted = [950, 960, 970, 980, 990, 1001, 1002, 1003, 1004, 1005].filter((t) => l.tryAcquire(t)).length;
    expect(admitted).toBe(5);
  });

  it('stays correct over a long run (log compaction)', () => {
    const l = new SlidingWindowLimiter(60);
    let admitted = 0;
    for (let t = 0; t < 10_000; t += 5) if (l.tryAcquire(t)) admitted++;
    // 10 s at 200 requests/s offered, 60/s admitted.
    expect(admitted).toBe(600);
  });

  it('refuses a limit below one', () => {
    expect(() => new SlidingWindowLimiter(0)).toThrow(/at least 1/);
  });
});
