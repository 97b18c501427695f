/** Time is injected so services and checks can be tested with a fixed or moving fake clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string): Clock & { advance(ms: number): void; set(at: Date | string): void } {
  let t = new Date(at).getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
    set: (d: Date | string) => {
      t = new Date(d).getTime();
    },
  };
}

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

/** Calendar date `YYYY-MM-DD` of an instant, in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** True when `s` is `YYYY-MM-DD` and names a day that exists (`2001-02-30` does not; Date.parse rolls it over). */
export function isCalendarDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return isoDate(d) === s;
}

/** Whole years between a `YYYY-MM-DD` birth date and `on` (UTC calendar date). */
export function ageInYears(birthDate: string, on: Date): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) throw new Error(`birth date must be YYYY-MM-DD, got "${birthDate}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = on.getUTCFullYear() - y;
  const beforeBirthday = on.getUTCMonth() + 1 < mo || (on.getUTCMonth() + 1 === mo && on.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

export const MINIMUM_AGE = 16;

export function isUnder16(birthDate: string, on: Date): boolean {
  return ageInYears(birthDate, on) < MINIMUM_AGE;
}

/** Adds whole days to a calendar date (`YYYY-MM-DD`), in UTC. */
export function addDays(date: string | Date, days: number): string {
  const d = typeof date === 'string' ? new Date(`${date}T00:00:00Z`) : new Date(date.getTime());
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

/** The date `years` years before `on`, plus `days` (negative for earlier). */
export function yearsAgo(on: Date, years: number, days = 0): string {
  const d = new Date(Date.UTC(on.getUTCFullYear() - years, on.getUTCMonth(), on.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}
