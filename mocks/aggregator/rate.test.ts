import { SlidingWindowLimiter, TokenBucket } from './rate';

function fakeTime() {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('spends its burst, then says how long until the next token', () => {
    const time = fakeTime();
    const b = new TokenBucket(25, 1, time.now);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(40);
    time.advance(39);
    expect(b.take()).toBe(1);
    time.advance(1);
    expect(b.take()).toBe(0);
  });

  it('never saves up more than its burst however long it idles', () => {
    const time = fakeTime();
    const b = new TokenBucket(10, 3, time.now);
    time.advance(60_000);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBeGreaterThan(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0)).toThrow(/rate/);
    expect(() => new TokenBucket(5, 0.5)).toThrow(/burst/);
  });
});

describe('SlidingWindowLimiter', () => {
  it('admits the limit within a window and refuses the rest until the oldest leaves it', () => {
    const time = fakeTime();
    const l = new SlidingWindowLimiter(3, 1000, time.now);
    expect([l.tryAcquire(), l.tryAcquire()]).toEqual([true, true]);
    time.advance(500);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    expect(l.retryAfterMs()).toBe(500);
    time.advance(499);
    expect(l.tryAcquire()).toBe(false);
    time.advance(1);
    // The two admitted at t=0 have left the window, so two more fit; the third does not.
    expect([l.tryAcquire(), l.tryAcquire(), l.tryAcquire()]).toEqual([true, true, false]);
  });

  it('cannot be doubled by a burst across a second boundary', () => {
    const time = fakeTime();
    const l = new SlidingWindowLimiter(60, 1000, time.now);
    time.advance(990);
    let admitted = 0;
    for (let i = 0; i < 60; i++) if (l.tryAcquire()) admitted += 1;
    time.advance(20);
    for (let i = 0; i < 60; i++) if (l.tryAcquire()) admitted += 1;
    expect(admitted).toBe(60);
  });
});
