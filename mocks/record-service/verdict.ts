/**
 * The verdict kept for every `/records` call: what was received, what was registered, what was
 * ignored and why. Verdicts hold masked NHS numbers only; they are what `GET
 * /_harness/records/diagnostics` returns and what `pca-harness explain` prints.
 */
import type { Mode, Profile } from '../../core/config';
import type { ProducerResourceType } from '../../core/fhir';
import { reasonEntry, isProblem, type ReasonCode, type ReasonKind } from './catalogue';

/** One reason found in a call. Numbers it concerns are listed by index and masked value, a few at most. */
export interface ReasonFinding {
  code: ReasonCode;
  /** What exactly was wrong in this call, in words (NHS numbers masked). */
  detail: string;
  /** How many NHS numbers the reason concerns (number-level reasons and duplicates). */
  count?: number;
  /** Indexes into `nhsNumbers` (0-based), the first few. */
  indexes?: number[];
  /** Masked values at those indexes. */
  examples?: string[];
}

/** A finding with its catalogue entry, as the diagnostics endpoint returns it. */
export interface ExplainedReason extends ReasonFinding {
  title: string;
  kind: ReasonKind;
  fix: string;
}

export type CredentialKind = 'api-key' | 'access-token' | 'none' | 'unrecognised';

export type VerdictOutcome = 'registered' | 'partly-registered' | 'nothing-registered' | 'faulted';

export interface RecordsCallVerdict {
  id: number;
  at: string;
  correlationId: string;
  method: string;
  path: string;
  mode: Mode;
  profile: Profile;
  /** clientId exactly as the body gave it (truncated), or null when there was none. */
  clientId: string | null;
  /** The client the credential belongs to, when it was recognised. */
  credential: { kind: CredentialKind; clientId?: string; fingerprint?: string };
  resourceType?: ProducerResourceType;
  /** HTTP status answered. */
  status: number;
  outcome: VerdictOutcome;
  /** Entries in `nhsNumbers` (0 when the body had none). */
  received: number;
  /** Distinct numbers stored by this call (new plus already known). */
  registered: number;
  newlyRegistered: number;
  alreadyRegistered: number;
  /** `received - registered`: refused, rejected with the batch, or repeated within it. */
  ignored: number;
  reasons: ExplainedReason[];
  /** One line a person reads first. */
  summary: string;
}

export function explain(f: ReasonFinding): ExplainedReason {
  const e = reasonEntry(f.code);
  return { ...f, title: e.title, kind: e.kind, fix: e.fix };
}

export function outcomeOf(received: number, registered: number, faulted: boolean): VerdictOutcome {
  if (faulted) return 'faulted';
  if (registered === 0) return 'nothing-registered';
  return registered < received ? 'partly-registered' : 'registered';
}

export function summarise(
  v: Pick<RecordsCallVerdict, 'outcome' | 'received' | 'registered' | 'ignored' | 'reasons' | 'newlyRegistered'>,
): string {
  const problems = v.reasons.filter((r) => isProblem(r.code));
  const notes = v.reasons.filter((r) => !isProblem(r.code));
  const list = (rs: ExplainedReason[]) => rs.map((r) => r.code).join(', ');
  if (v.outcome === 'faulted') return `injected fault: nothing registered (${v.received} NHS number(s) sent)`;
  if (v.outcome === 'nothing-registered') {
    return `nothing registered of ${v.received} NHS number(s): ${problems.length} problem(s): ${list(problems)}`;
  }
  const head = `registered ${v.registered} of ${v.received} NHS number(s) (${v.newlyRegistered} new)`;
  const tail = [
    problems.length ? `${v.ignored} ignored: ${list(problems)}` : v.ignored ? `${v.ignored} ignored` : '',
    notes.length ? `note: ${list(notes)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return tail ? `${head}; ${tail}` : head;
}
