/**
 * The one result shape every library run resolves to (runChecks, runReplay, verifyContract,
 * runLoad): a verdict, counts, the findings a person acts on, the suite's own report model, and
 * its JUnit suites, so a caller (demo, a supplier's Jest test) merges and indexes results it holds.
 */
import { type JUnitSuite, junitCounts } from './junit';
import type { SuiteVerdict } from './summary';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

/** One thing that failed or errored, as a person reads it first. */
export interface Finding {
  /** `failure`: the target is wrong; `error`: the run could not judge it. */
  kind: 'failure' | 'error';
  /** What failed: a check id and title, a patient and resource type, an interaction, a threshold. */
  name: string;
  /** Why, in one line (NHS numbers masked). */
  message: string;
  /** The level of a check (`MUST`, `SHOULD`, ...) where there is one. */
  level?: string;
}

export interface RunResult<R> {
  /** `pass`: every MUST passed; `fail`: something failed; `error`: the run could not judge the target. */
  verdict: Exclude<SuiteVerdict, 'skipped'>;
  /** One line a person reads first, e.g. "41 of 41 MUST checks passed". */
  headline: string;
  counts: RunCounts;
  findings: Finding[];
  /** The suite's own report model (what report.json / eva.json / verify.json / load.json hold). */
  report: R;
  /** The run as JUnit suites; `renderJUnit(result.junit)` is its junit.xml. */
  junit: JUnitSuite[];
  /** Files written, by name, when a `reportDir` was given. */
  files?: Record<string, string>;
}

/** Counts and findings read off a run's JUnit suites (every suite renders its cases the same way). */
export function tallyJUnit(suites: readonly JUnitSuite[]): { counts: RunCounts; findings: Finding[] } {
  const cases = suites.flatMap((s) => s.cases);
  const n = junitCounts(cases);
  const findings: Finding[] = [];
  for (const c of cases) {
    if (c.failure) findings.push({ kind: 'failure', name: c.name, message: c.failure.message });
    else if (c.error) findings.push({ kind: 'error', name: c.name, message: c.error.message });
  }
  return {
    counts: {
      passed: n.tests - n.failures - n.errors - n.skipped,
      failed: n.failures,
      skipped: n.skipped,
      errors: n.errors,
    },
    findings,
  };
}
