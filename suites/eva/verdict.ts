/**
 * What EVA says about one patient and resource type.
 */
import type { Bundle } from '../../core/fhir';
import type { ReadingNote } from '../../contracts/readings';
import type { Difference } from './differ';

/**
 * `warn` is a match reached by reading the supplier's body the way docs/spec-errata.md accepts (it
 * took a reading of a contradicting spec other than the pack's): it passes, and says which erratum.
 */
export type EvaOutcome = 'match' | 'warn' | 'mismatch' | 'error';
export const EVA_OUTCOMES: readonly EvaOutcome[] = ['match', 'warn', 'mismatch', 'error'];

export interface PatientResponse {
  nhsNumber: string;
  resourceType: string;
  /** The pack's bundle for this patient and type; undefined means an empty searchset is expected. */
  expected: Bundle | undefined;
  /** HTTP status; undefined when no response arrived (see `error`). */
  status?: number;
  /** Parsed JSON, or the raw text when it did not parse. */
  body: unknown;
  /** Why there was no response (timeout, connection refused), when there was none. */
  error?: string;
  /** Position of the patient in the pack: not patient data, and tells patients with the same mask apart. */
  patientIndex?: number;
  /** The pack's scenario label for the patient, e.g. "cancelled outpatient". */
  scenario?: string;
  durationMs?: number;
}

export interface PatientVerdict {
  nhsNumberMasked: string;
  resourceType: string;
  verdict: EvaOutcome;
  status?: number;
  /** Already masked: NHS numbers in values and paths are replaced by their masks. */
  differences: Difference[];
  /** Readings of a contradicting spec the supplier's body took (masked); set on `warn`, and on a mismatch that took any. */
  warnings?: ReadingNote[];
  patientIndex?: number;
  scenario?: string;
  durationMs?: number;
}
