/**
 * EVA totals, kept as verdicts arrive so replay needs no second list.
 */
import { DIFFERENCE_KINDS, type DifferenceKind } from './differ';
import type { PatientVerdict } from './verdict';

export interface VerdictCounts {
  match: number;
  /** Matched, reading the body the way docs/spec-errata.md accepts (counted apart from `match`). */
  warn: number;
  mismatch: number;
  error: number;
}

export interface EvaTotals extends VerdictCounts {
  /** Patient and resource-type pairs compared. */
  comparisons: number;
  /** Distinct patients, when verdicts carry `patientIndex`. */
  patients?: number;
  differences: number;
  byKind: Record<DifferenceKind, number>;
  byResourceType: Record<string, VerdictCounts>;
  /** True when every comparison matched. */
  passed: boolean;
}

/** Running totals, so replay can count as verdicts arrive without keeping a second list. */
export class EvaTally {
  private readonly t: Omit<EvaTotals, 'passed' | 'patients'> = {
    comparisons: 0,
    match: 0,
    warn: 0,
    mismatch: 0,
    error: 0,
    differences: 0,
    byKind: Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<DifferenceKind, number>,
    byResourceType: {},
  };
  private readonly patients = new Set<number>();

  add(v: PatientVerdict): this {
    const t = this.t;
    t.comparisons++;
    t[v.verdict]++;
    const rt = (t.byResourceType[v.resourceType] ??= { match: 0, warn: 0, mismatch: 0, error: 0 });
    rt[v.verdict]++;
    t.differences += v.differences.length;
    for (const d of v.differences) t.byKind[d.kind]++;
    if (v.patientIndex !== undefined) this.patients.add(v.patientIndex);
    return this;
  }

  totals(): EvaTotals {
    const t = this.t;
    return {
      ...t,
      byKind: { ...t.byKind },
      byResourceType: Object.fromEntries(Object.entries(t.byResourceType).map(([k, v]) => [k, { ...v }])),
      ...(this.patients.size ? { patients: this.patients.size } : {}),
      passed: t.mismatch === 0 && t.error === 0,
    };
  }
}

export function summarise(verdicts: Iterable<PatientVerdict>): EvaTotals {
  const tally = new EvaTally();
  for (const v of verdicts) tally.add(v);
  return tally.totals();
}
