/**
 * The consumer side's own upstreams besides the suppliers: the national waiting list (WLMDS, client
 * `nhs-waiting-list-01`) and e-RS referrals (client `ers-01`). The mock simulates both in-process
 * from the fixture pack (`patient.consumer.waitingList` / `.referrals`), so a consumer-side test sees
 * waiting-list CarePlans, wait times and referrals without any other service; a per-request scenario
 * (`Prefer: scenario=waiting-list-timeout`) makes one of them fail the way the consumer spec's
 * examples show, at once, with no real wait.
 */
import type { ErsReferral, PackPatient, WaitingListEntry } from '../../fixtures/pack';

export const WAITING_LIST_CLIENT_ID = 'nhs-waiting-list-01';
export const ERS_CLIENT_ID = 'ers-01';

export type SourceName = 'waiting-list' | 'referrals';

export type SourceOutcome<T> = { kind: 'ok'; items: T[] } | { kind: 'timeout' } | { kind: 'error'; status: number };

/** How one request wants a source to fail (from a named steering scenario); absent: answer normally. */
export type SourceFailure = 'timeout' | 'error';

export interface ConsumerSources {
  waitingList(nhsNumber: string, fail?: SourceFailure): Promise<SourceOutcome<WaitingListEntry>>;
  referrals(nhsNumber: string, fail?: SourceFailure): Promise<SourceOutcome<ErsReferral>>;
}

function answer<T>(items: T[] | undefined, fail: SourceFailure | undefined): Promise<SourceOutcome<T>> {
  if (fail === 'timeout') return Promise.resolve({ kind: 'timeout' });
  if (fail === 'error') return Promise.resolve({ kind: 'error', status: 500 });
  return Promise.resolve({ kind: 'ok', items: structuredClone(items ?? []) });
}

/** Both sources answered from the pack; a patient the pack does not know has no entries. */
export function packSources(lookup: (nhsNumber: string) => PackPatient | undefined): ConsumerSources {
  return {
    waitingList: (n, fail) => answer(lookup(n)?.consumer?.waitingList, fail),
    referrals: (n, fail) => answer(lookup(n)?.consumer?.referrals, fail),
  };
}

/** The OperationOutcome issue for a failed source, worded as the consumer spec's examples word them. */
export function sourceIssue(
  source: SourceName,
  outcome: Exclude<SourceOutcome<unknown>, { kind: 'ok' }>,
): { clientId: string; code: 'timeout' | 'transient'; diagnostics: string } {
  const clientId = source === 'waiting-list' ? WAITING_LIST_CLIENT_ID : ERS_CLIENT_ID;
  const api = source === 'waiting-list' ? 'waitinglist-api' : 'e-RS';
  if (outcome.kind === 'timeout') return { clientId, code: 'timeout', diagnostics: `${api} request timed out` };
  return { clientId, code: 'transient', diagnostics: `http-${outcome.status}` };
}
