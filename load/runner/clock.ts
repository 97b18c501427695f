/**
 * Clocks for the scheduler. The system clock waits with setTimeout until about a millisecond
 * before the deadline (timers fire late, never early, and by up to a few ms) and then yields with
 * setImmediate until the deadline passes, so arrivals start within a fraction of a millisecond
 * without blocking I/O. The virtual clock lets tests run minutes of schedule in milliseconds.
 */
import type { RunnerClock } from './types';

/** How far ahead of a deadline to stop trusting setTimeout and poll instead. */
const SPIN_WINDOW_MS = 1.5;

export function systemRunnerClock(): RunnerClock {
  const now = (): number => performance.now();
  return {
    now,
    waitUntil(at: number): Promise<void> {
      return new Promise((resolve) => {
        const step = (): void => {
          const left = at - now();
          if (left <= 0) resolve();
          else if (left > SPIN_WINDOW_MS) setTimeout(step, left - SPIN_WINDOW_MS);
          else setImmediate(step);
        };
        step();
      });
    },
  };
}

/**
 * Virtual time: `waitUntil` parks the caller and time jumps to the earliest parked deadline once
 * everything runnable has run (checked with setImmediate, after pending promise callbacks).
 * Requests "take" time by awaiting `sleep`. Needs no real I/O in flight to be deterministic.
 */
export class VirtualClock implements RunnerClock {
  private t = 0;
  private readonly waiters: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private seq = 0;
  private advancing = false;

  now(): number {
    return this.t;
  }

  waitUntil(at: number): Promise<void> {
    if (at <= this.t) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ at, seq: this.seq++, resolve });
      this.scheduleAdvance();
    });
  }

  sleep(ms: number): Promise<void> {
    return this.waitUntil(this.t + ms);
  }

  private scheduleAdvance(): void {
    if (this.advancing) return;
    this.advancing = true;
    setImmediate(() => {
      this.advancing = false;
      if (this.waiters.length === 0) return;
      this.waiters.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.waiters[0]!.at;
      this.t = Math.max(this.t, next);
      const due = this.waiters.filter((w) => w.at <= this.t);
      this.waiters.splice(0, due.length);
      for (const w of due) w.resolve();
      if (this.waiters.length > 0) this.scheduleAdvance();
    });
  }
}
