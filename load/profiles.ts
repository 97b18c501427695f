/**
 * Profiles for the built-in runner: the data in profile-data.ts (shared with the k6 scripts),
 * command-line overrides on top, and the conversion to a runner plan.
 */
import {
  DEFAULT_PROFILE_NAME,
  PROFILES,
  PROFILE_NAMES,
  applyOverrides,
  copyProfile,
  formatDurationMs,
  peakRate,
  stagesOf,
  totalDurationMs,
  type LoadProfile,
  type ProfileOverrides,
} from './profile-data';
import type { LoadPlan } from './runner/types';
import { PRODUCER_DEADLINE_MS } from '../core/deadline';
import { ExitCode, HarnessError } from '../core/errors';

export * from './profile-data';

/** A profile name or an override that cannot be applied. */
export class ProfileError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'ProfileError';
  }
}

export function getProfile(name: string = DEFAULT_PROFILE_NAME): LoadProfile {
  const p = PROFILES[name];
  if (!p) throw new ProfileError(`there is no load profile "${name}"; choose one of ${PROFILE_NAMES.join(', ')}`);
  return copyProfile(p);
}

/** The named profile with overrides applied and checked. */
export function resolveProfile(name: string = DEFAULT_PROFILE_NAME, o: ProfileOverrides = {}): LoadProfile {
  const p = getProfile(name);
  try {
    return applyOverrides(p, o);
  } catch (e) {
    throw new ProfileError((e as Error).message);
  }
}

export function planFromProfile(p: LoadProfile): LoadPlan {
  return {
    name: p.name,
    startRate: p.rate,
    stages: stagesOf(p),
    maxInFlight: p.maxInFlight,
    thresholds: {
      ...p.thresholds,
      requirements: p.requirements,
      // A supplier's every answer is judged against producer:WF-NFR-02's 9,000 ms deadline.
      ...(p.target === 'supplier' ? { deadlineMs: PRODUCER_DEADLINE_MS } : {}),
    },
  };
}

/** One line per profile, for `load --help` and the docs. */
export function describeProfiles(): string {
  return PROFILE_NAMES.map((n) => {
    const p = PROFILES[n]!;
    const shape = p.ramp
      ? `${p.rate}->${peakRate(p)}/s over ${formatDurationMs(totalDurationMs(p))}`
      : `${p.rate}/s for ${formatDurationMs(p.durationMs)}`;
    const budget = `P95 <= ${p.thresholds.p95Ms} ms, errors ${p.thresholds.maxErrorRate === 0 ? '= 0' : `< ${p.thresholds.maxErrorRate * 100}%`}`;
    return `  ${n.padEnd(18)} ${p.target.padEnd(10)} ${shape.padEnd(24)} ${budget}${p.thresholds.throttle ? `, 429 above ${p.thresholds.throttle.limitTps} TPS` : ''}`;
  }).join('\n');
}
