/**
 * Arrival times of an open-model schedule. Arrival i is due when the planned rate curve has
 * accumulated i arrivals; times are absolute offsets from the start, so a late tick never shifts
 * the arrivals after it (no drift, no coordinated omission).
 */
import type { RateStage } from '../profile-data';

export interface ArrivalSchedule {
  /** Offset (ms from the start) at which arrival `i` is due, or undefined once the schedule is over. */
  at(i: number): number | undefined;
  readonly durationMs: number;
  readonly count: number;
}

interface Segment {
  startMs: number;
  durationMs: number;
  fromRate: number;
  toRate: number;
  /** Arrivals accumulated before this segment. */
  before: number;
  arrivals: number;
}

export function arrivalSchedule(startRate: number, stages: readonly RateStage[]): ArrivalSchedule {
  if (!(startRate >= 0) || stages.some((s) => !(s.durationMs >= 0) || !(s.toRate >= 0))) {
    throw new Error('rates and durations must be zero or more');
  }
  const segments: Segment[] = [];
  let from = startRate;
  let t = 0;
  let before = 0;
  for (const s of stages) {
    const arrivals = ((from + s.toRate) / 2) * (s.durationMs / 1000);
    segments.push({ startMs: t, durationMs: s.durationMs, fromRate: from, toRate: s.toRate, before, arrivals });
    before += arrivals;
    t += s.durationMs;
    from = s.toRate;
  }
  const durationMs = t;
  // Arrival i is due when the accumulated count reaches i; i = 0 fires at the start. Counts are
  // kept to within a millionth so float error never adds or loses an arrival at a boundary.
  const count = Math.ceil(before - 1e-6);
  let cursor = 0;

  function at(i: number): number | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= count) return undefined;
    // Arrivals are asked for in order, so the segment search almost always starts where it stopped.
    if (cursor >= segments.length || segments[cursor]!.before > i) cursor = 0;
    while (cursor < segments.length - 1 && segments[cursor]!.before + segments[cursor]!.arrivals <= i) cursor += 1;
    const seg = segments[cursor]!;
    const k = i - seg.before;
    const T = seg.durationMs / 1000;
    const r0 = seg.fromRate;
    const slope = T > 0 ? (seg.toRate - r0) / T : 0;
    let secs: number;
    if (Math.abs(slope) < 1e-12) {
      secs = r0 > 0 ? k / r0 : 0;
    } else {
      // k = r0*s + slope*s^2/2  ->  s = (-r0 + sqrt(r0^2 + 2*slope*k)) / slope
      const disc = Math.max(0, r0 * r0 + 2 * slope * k);
      secs = (-r0 + Math.sqrt(disc)) / slope;
    }
    return seg.startMs + Math.min(Math.max(secs * 1000, 0), seg.durationMs);
  }

  return { at, durationMs, count };
}
