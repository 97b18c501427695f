import { arrivalSchedule } from './schedule';
import { plannedArrivals, rateAt } from '../profile-data';

describe('arrivalSchedule', () => {
  it('spaces a constant rate evenly from the start: 25/s for 20 s is 500 arrivals 40 ms apart', () => {
    const s = arrivalSchedule(25, [{ durationMs: 20_000, toRate: 25 }]);
    expect(s.count).toBe(500);
    expect(s.at(0)).toBe(0);
    expect(s.at(1)).toBeCloseTo(40, 9);
    expect(s.at(499)).toBeCloseTo(19_960, 6);
    expect(s.at(500)).toBeUndefined();
    expect(s.at(-1)).toBeUndefined();
  });

  it('follows a linear ramp: arrivals per second track the rate curve', () => {
    const stages = [
      { durationMs: 30_000, toRate: 90 },
      { durationMs: 10_000, toRate: 90 },
    ];
    const s = arrivalSchedule(30, stages);
    expect(s.count).toBe(Math.ceil(plannedArrivals(30, stages) - 1e-6));
    expect(s.count).toBe(2700);
    const perSecond = new Array<number>(40).fill(0);
    for (let i = 0; i < s.count; i++) perSecond[Math.floor(s.at(i)! / 1000)]! += 1;
    for (let sec = 0; sec < 40; sec++) {
      // The mean rate over second `sec` is the rate at its middle.
      expect(Math.abs(perSecond[sec]! - rateAt(30, stages, sec * 1000 + 500))).toBeLessThanOrEqual(1);
    }
    // Times never go backwards, whatever order they are asked in.
    let prev = -1;
    for (let i = 0; i < s.count; i++) {
      const t = s.at(i)!;
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    expect(s.at(2699)).toBeLessThanOrEqual(40_000);
    expect(s.at(10)).toBeCloseTo(arrivalSchedule(30, stages).at(10)!, 9);
  });

  it('rejects negative rates', () => {
    expect(() => arrivalSchedule(-1, [{ durationMs: 1000, toRate: 1 }])).toThrow(/zero or more/);
  });
});
