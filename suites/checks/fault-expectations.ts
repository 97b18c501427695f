/**
 * Which checks each reference-supplier fault must turn red, and no others: the harness's proof that
 * its checks can fail. A fault breaks the supplier in one way, but one way can break more than one
 * rule (a VIRTUAL consultation medium breaks the schema and the medium rule; a leaked record makes
 * the "nothing to show" Bundle non-empty too), so a row lists every check the fault must fail.
 * The table is typed by the fault catalogue: a new fault does not compile until it has a row.
 */
import type { FaultName } from '../../mocks/supplier/faults';

export type FaultProof =
  /** The API checks, run against the faulted supplier. */
  | { by: 'api'; checks: readonly string[]; includeThrottle?: boolean }
  /**
   * The RS checks, after the faulted upload client uploaded a pack of more than 200 eligible
   * patients to the mock Record Service (strict mode, int profile). `platformFaults`: the platform
   * fails some calls (so retrying is exercised); `uploads`: how many upload runs share one journal.
   */
  | { by: 'upload'; checks: readonly string[]; platformFaults?: boolean; uploads?: 1 | 2 }
  /** Proven elsewhere, or not provable through the API: why. */
  | { by: 'elsewhere'; reason: string };

const every = (n: number) => ['GA', 'DR', 'TK'].map((f) => `${f}-${String(n).padStart(2, '0')}`);

export const FAULT_EXPECTATIONS: Record<FaultName, FaultProof> = {
  'no-correlation-echo': { by: 'api', checks: every(5) },
  'virtual-medium': { by: 'api', checks: ['GA-01', 'GA-21'] },
  'missing-portal-link': { by: 'api', checks: ['GA-01', 'GA-22'] },
  'no-under16-check': { by: 'api', checks: every(16) },
  'no-nhs-crosscheck': { by: 'api', checks: every(13) },
  'no-dob-crosscheck': { by: 'api', checks: every(14) },
  'accepts-any-bearer': { by: 'api', checks: [...every(8), ...every(9)] },
  'ignores-id-token-signature': { by: 'api', checks: every(10) },
  'accepts-p5': { by: 'api', checks: every(15) },
  'empty-200': { by: 'api', checks: every(3) },
  'wrong-content-type': { by: 'api', checks: every(4) },
  // total 1 on the empty Bundle too.
  'total-mismatch': { by: 'api', checks: [...every(2), ...every(3)] },
  'drops-cancelled': { by: 'api', checks: ['GA-23'] },
  // The leaked record also lands in the "nothing to show" Bundle.
  'leaks-other-patient': { by: 'api', checks: [...every(18), ...every(3)] },
  'pid-in-description': { by: 'api', checks: every(19) },
  'error-not-operationoutcome': { by: 'api', checks: every(17) },
  'no-429': { by: 'api', checks: every(20), includeThrottle: true },
  slow: {
    by: 'elsewhere',
    reason:
      'latency (WF-NFR-01, 400 ms at P95) is measured by the load suite (`pca-harness load`), not by single conformance requests',
  },
  'no-504': {
    by: 'elsewhere',
    reason:
      "WF-NFR-02 needs the supplier's own work to outlast 9 s; a conformance check cannot make it slow through the API",
  },
  // Strict mode answers /records/ with 404, so nothing registers.
  'trailing-slash-upload': { by: 'upload', checks: ['RS-01', 'RS-08'] },
  // Strict mode refuses the whole batch holding the under-16 number.
  'sends-under16': { by: 'upload', checks: ['RS-05', 'RS-08'] },
  'oversized-batch': { by: 'upload', checks: ['RS-03', 'RS-08'] },
  'no-retry': { by: 'upload', checks: ['RS-07', 'RS-08'], platformFaults: true },
  'resends-acknowledged': { by: 'upload', checks: ['RS-09'], uploads: 2 },
};

/** How the conforming supplier is run for the upload baseline: every RS check exercised, none failing. */
export const UPLOAD_BASELINE = { platformFaults: true, uploads: 2 } as const;

/** The table in docs/checks.md: each fault of the reference supplier and the checks it turns red. */
export function renderFaultExpectationsMarkdown(): string {
  const rows = (Object.entries(FAULT_EXPECTATIONS) as Array<[FaultName, FaultProof]>).map(([fault, e]) => {
    if (e.by === 'elsewhere') return `| \`${fault}\` | - | ${e.reason} |`;
    const how =
      e.by === 'api'
        ? `API checks${e.includeThrottle ? ' with `--include-throttle`' : ''}`
        : `RS checks after the faulted upload${e.platformFaults ? ' (platform failing some calls)' : ''}${e.uploads === 2 ? ' (two upload runs)' : ''}`;
    return `| \`${fault}\` | ${e.checks.join(', ')} | ${how} |`;
  });
  return (
    ['| fault | checks that must fail (and no others) | proven by |', '| --- | --- | --- |', ...rows].join('\n') + '\n'
  );
}
