/** The runner core: schedule, measure, judge. No HTTP, no profiles, no CLI. */
export { runLoad, type RunOutput, type ThrottleCounts } from './run';
export { arrivalSchedule, type ArrivalSchedule } from './schedule';
export { systemRunnerClock, VirtualClock } from './clock';
export { LatencyRecorder } from './histogram';
export { evaluateThresholds } from './thresholds';
export type * from './types';
