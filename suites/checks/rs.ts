/**
 * RS-*: the supplier's Record Service client, judged by what the mock Record Service saw of its
 * uploads: the verdict it kept for every call (`GET /_harness/records/diagnostics`) and the
 * distinct NHS numbers registered for the clientId (`GET /_harness/records/reconciliation`). The
 * upload itself is the supplier's (its own client, or `pca-harness supplier` against the platform);
 * these checks only read.
 */
import { adminHeaders } from '../../core/admin-token';
import { maskNhsNumber } from '../../core/nhs-number';
import { type PackPatient, ineligibility } from '../../fixtures/pack';
import type { ReasonCode } from '../../mocks/record-service/catalogue';
import type { RecordsCallVerdict as CallVerdict } from '../../mocks/record-service/verdict';
import {
  type Check,
  type CheckContext,
  type Exchange,
  type Finding,
  type CheckVerdict,
  error,
  judge,
  memo,
  skip,
} from './check';

const FAMILY = 'RS' as const;

interface Seen {
  diagnostics: Exchange;
  calls: CallVerdict[];
}

interface Reconciliation {
  exchange: Exchange;
  distinct: number;
  nhsNumbers: string[];
}

const BATCH_LIMIT = { int: 200, prod: 5000 } as const;

function platformGet(ctx: CheckContext, path: string, label: string): Promise<Exchange> {
  const url = `${ctx.platform!.url.replace(/\/$/, '')}${path}`;
  const headers = { Accept: 'application/json', ...adminHeaders(ctx.platform!.adminToken) };
  return ctx.transport({ method: 'GET', url, headers, label, access: 'none', idToken: 'none' }).then((response) => ({
    request: { method: 'GET', url, headers, label, access: 'none', idToken: 'none' },
    response,
  }));
}

/** Every call the platform judged for the clientId (oldest first), memoised for the run. */
function seen(ctx: CheckContext): Promise<Seen | CheckVerdict> {
  return memo(ctx, 'rs|diagnostics', async () => {
    const p = ctx.platform!;
    const q = new URLSearchParams({ clientId: p.clientId, limit: '1000', ...(p.since ? { since: p.since } : {}) });
    const ex = await platformGet(ctx, `/_harness/records/diagnostics?${q}`, 'Record Service diagnostics');
    const body = ex.response.json as { verdicts?: CallVerdict[] } | undefined;
    if (ex.response.status !== 200 || !Array.isArray(body?.verdicts)) {
      return error(
        `the platform's diagnostics endpoint answered ${ex.response.status}; is --platform-url a running \`pca-harness serve\`?`,
        [ex],
      );
    }
    const calls = [...body.verdicts].reverse();
    if (calls.length === 0) {
      return skip(
        `the Record Service saw no upload for clientId "${p.clientId}"${p.since ? ` since ${p.since}` : ''}: run the supplier's upload against ${p.url}/records first (no data is a skip, never a pass)`,
        [ex],
      );
    }
    return { diagnostics: ex, calls };
  });
}

function reconciliation(ctx: CheckContext): Promise<Reconciliation | CheckVerdict> {
  return memo(ctx, 'rs|reconciliation', async () => {
    const q = new URLSearchParams({ clientId: ctx.platform!.clientId, full: '1', limit: '100000' });
    const ex = await platformGet(ctx, `/_harness/records/reconciliation?${q}`, 'Record Service reconciliation');
    const body = ex.response.json as { distinctNhsNumbers?: unknown; nhsNumbers?: unknown } | undefined;
    if (ex.response.status !== 200 || typeof body?.distinctNhsNumbers !== 'number') {
      return error(`the platform's reconciliation endpoint answered ${ex.response.status}`, [ex]);
    }
    return {
      exchange: ex,
      distinct: body.distinctNhsNumbers,
      nhsNumbers: Array.isArray(body.nhsNumbers) ? (body.nhsNumbers as string[]) : [],
    };
  });
}

function isVerdict(v: unknown): v is CheckVerdict {
  return typeof v === 'object' && v !== null && 'outcome' in v;
}

function callName(v: CallVerdict): string {
  return `call #${v.id} ${v.method} ${v.path} at ${v.at} (HTTP ${v.status})`;
}

/** A check that fails for every call carrying one of `codes`. */
function reasonCheck(
  id: string,
  title: string,
  requirements: string[],
  codes: readonly ReasonCode[],
  description: string,
  fix: string,
  extra?: (v: CallVerdict) => Finding[],
): Check {
  return {
    id,
    title,
    family: FAMILY,
    requirements,
    level: 'MUST',
    endpoint: 'RecordService',
    suite: 'rules',
    description,
    fix,
    async run(ctx) {
      const s = await seen(ctx);
      if (isVerdict(s)) return s;
      const findings: Finding[] = [];
      for (const v of s.calls) {
        for (const r of v.reasons.filter((x) => codes.includes(x.code))) {
          findings.push({
            title: `${r.title} (${callName(v)})`,
            received: r.detail,
            expected: 'no such call',
            hint: r.fix,
          });
        }
        findings.push(...(extra?.(v) ?? []));
      }
      return judge([s.diagnostics], findings, `${s.calls.length} call(s) judged`);
    },
  };
}

function eligibleNumbers(ctx: CheckContext): Set<string> {
  return new Set(ctx.pack.eligible(ctx.clock.now()).map((p) => p.nhsNumber));
}

function masked(ns: string[], max = 5): string {
  const shown = ns.slice(0, max).map(maskNhsNumber).join(', ');
  return ns.length > max ? `${shown} and ${ns.length - max} more` : shown;
}

export const RS_CHECKS: readonly Check[] = [
  reasonCheck(
    'RS-01',
    'Uploads are POST /records with a JSON body (no trailing slash)',
    ['record-service:RSA-PATH', 'record-service:WF-NFR-RS-01'],
    ['trailing-slash', 'wrong-content-type', 'malformed-json', 'invalid-request-body', 'body-too-large'],
    'Every upload is `POST {base}/records` with Content-Type application/json and a body {"clientId", "nhsNumbers"}. The spec\'s environment table lists the endpoints as ".../records/", but a supplier reported INT answering POST /records/ with 200 and registering nothing (NHS England\'s reply advises /records), so the trailing slash is refused: a 200 alone proves nothing.',
    'Post to /records exactly, with Content-Type: application/json and a body serialised by a JSON library.',
  ),
  reasonCheck(
    'RS-02',
    "Every upload carries this client's clientId and a recognised credential",
    ['record-service:RSA-CLIENT-ID'],
    [
      'missing-authorization',
      'authorization-not-bearer',
      'unknown-api-key',
      'token-not-issued-here',
      'token-expired',
      'token-audience',
      'client-id-placeholder',
      'unknown-client-id',
      'client-id-mismatch',
    ],
    'Each call carries the clientId issued for its resource type and the API key (or access token) that belongs to that clientId.',
    'Keep the API key and clientId of each resource type together in configuration, and send "Authorization: Bearer <API key>".',
  ),
  reasonCheck(
    'RS-03',
    "Batches stay within the environment's limit",
    ['record-service:RSA-BATCH-LIMIT', 'record-service:WF-NFR-RS-03'],
    ['batch-over-limit'],
    'At most 200 NHS numbers per call outside production and 5,000 in production.',
    'Split uploads into batches of at most 200 (INT and test environments) or 5,000 (production).',
    (v) =>
      v.received > BATCH_LIMIT[v.profile] && !v.reasons.some((r) => r.code === 'batch-over-limit')
        ? [
            {
              title: `${v.received} NHS numbers in one call (${callName(v)})`,
              received: String(v.received),
              expected: `at most ${BATCH_LIMIT[v.profile]} (${v.profile} profile)`,
              hint: 'split the list into smaller batches',
            },
          ]
        : [],
  ),
  reasonCheck(
    'RS-04',
    'Every NHS number sent is valid',
    ['record-service:RSA-NHS-NUMBERS'],
    ['nhs-number-pattern', 'check-digit', 'not-synthetic'],
    'NHS numbers match ^[1-9][0-9]{9}$ and pass the Modulus 11 check digit; test environments take only synthetic (test-range) numbers.',
    'Validate NHS numbers (format and Modulus 11) before batching; send only test patients to test environments.',
  ),
  reasonCheck(
    'RS-05',
    'No NHS number of a patient under 16 is sent',
    ['producer:WF-NFR-16', 'record-service:RSA-EXCLUSIONS'],
    ['under-16'],
    'Portal systems must not send NHS numbers to the Record Service for patients who are under 16.',
    'Filter out patients under 16 on the day of the upload; send them once they turn 16.',
  ),
  reasonCheck(
    'RS-06',
    'No NHS number of a sensitive or trust-excluded patient is sent',
    ['record-service:RSA-EXCLUSIONS'],
    ['sensitive', 'excluded-by-trust'],
    'Do not send NHS numbers for sensitive patients (PDS) or patients the trust excluded from portal access.',
    'Filter out patients flagged sensitive or excluded before batching.',
  ),
  {
    id: 'RS-07',
    title: 'Uploads that failed were retried until acknowledged',
    family: FAMILY,
    requirements: [
      'record-service:WF-NFR-RS-02',
      'record-service:WF-NFR-RS-04',
      'record-service:WF-NFR-RS-07',
      'record-service:RSA-RETRY',
    ],
    level: 'MUST',
    endpoint: 'RecordService',
    suite: 'rules',
    description:
      'When a call fails (5xx, timeout), the client logs it, keeps track of the NHS numbers not yet sent and re-sends them with back-off: after the faults, every eligible patient is registered.',
    fix: 'Keep a journal of unacknowledged NHS numbers; retry 5xx/429/timeouts with exponential back-off and replay whatever is still unacknowledged.',
    async run(ctx) {
      const s = await seen(ctx);
      if (isVerdict(s)) return s;
      const failed = s.calls.filter((v) => v.outcome === 'faulted' || v.status >= 500);
      if (failed.length === 0) {
        return skip(
          'no failed upload was seen, so retrying was not exercised: inject faults for this clientId (PUT /_harness/records/faults/<clientId> {"errorRates":{"503":0.5}}) and upload again',
          [s.diagnostics],
        );
      }
      const r = await reconciliation(ctx);
      if (isVerdict(r)) return r;
      const registered = new Set(r.nhsNumbers);
      const missing = [...eligibleNumbers(ctx)].filter((n) => !registered.has(n));
      if (missing.length === 0)
        return judge(
          [s.diagnostics, r.exchange],
          [],
          `${failed.length} failed call(s), every eligible patient registered afterwards`,
        );
      return judge(
        [s.diagnostics, r.exchange],
        [
          {
            title: `${missing.length} eligible NHS number(s) never registered after ${failed.length} failed call(s)`,
            received: `missing: ${masked(missing)}`,
            expected: 'every eligible patient registered once the faults stop',
            hint: 'retry failed batches with back-off, and replay what the journal shows as unacknowledged',
          },
        ],
      );
    },
  },
  {
    id: 'RS-08',
    title: 'Reconciliation: every eligible pack patient is registered, and nobody else',
    family: FAMILY,
    requirements: [
      'record-service:WF-NFR-RS-05',
      'record-service:WF-NFR-RS-06',
      'record-service:WF-NFR-RS-09',
      'record-service:WF-NFR-RS-01',
    ],
    level: 'MUST',
    endpoint: 'RecordService',
    suite: 'rules',
    description:
      "The distinct NHS numbers registered for the clientId are exactly the pack's eligible patients (16 or over, not sensitive, not excluded): the count a reconciliation asks for.",
    fix: 'Upload every eligible patient (bulk load, then new ones as they come) and replay anything not acknowledged; send nobody the exclusion rules leave out.',
    async run(ctx) {
      const s = await seen(ctx);
      if (isVerdict(s)) return s;
      const r = await reconciliation(ctx);
      if (isVerdict(r)) return r;
      const eligible = eligibleNumbers(ctx);
      const registered = new Set(r.nhsNumbers);
      const missing = [...eligible].filter((n) => !registered.has(n));
      const wrong = r.nhsNumbers.filter((n) => !eligible.has(n) && ctx.pack.get(n));
      const findings: Finding[] = [];
      if (missing.length)
        findings.push({
          title: `${missing.length} of ${eligible.size} eligible patient(s) not registered`,
          received: `${r.distinct} distinct NHS number(s) registered; missing ${masked(missing)}`,
          expected: `${eligible.size} (the pack's eligible patients)`,
          hint: "see the failed calls in RS-01..RS-06 and the upload client's journal; replay what was not acknowledged",
        });
      if (wrong.length) {
        const why = wrong.map((n) => ineligibility(ctx.pack.get(n) as PackPatient, ctx.clock.now()) ?? 'ineligible');
        findings.push({
          title: `${wrong.length} ineligible patient(s) registered`,
          received: `${masked(wrong)} (${[...new Set(why)].join(', ')})`,
          expected: 'only eligible patients',
          hint: 'apply the exclusion rules before sending',
        });
      }
      return judge(
        [s.diagnostics, r.exchange],
        findings,
        `${r.distinct} distinct NHS number(s) registered, ${eligible.size} expected`,
      );
    },
  },
  {
    id: 'RS-09',
    title: 'NHS numbers already acknowledged are not sent again',
    family: FAMILY,
    requirements: ['record-service:WF-NFR-RS-01', 'record-service:WF-NFR-RS-03'],
    level: 'MUST',
    endpoint: 'RecordService',
    suite: 'rules',
    description:
      'On receipt of 200, the client marks the records uploaded and does not try to upload them again (the endpoint is idempotent, but re-sending is to be avoided). A deliberate full replay on request (WF-NFR-RS-06) is the exception: judge a window after it with --since.',
    fix: 'Record every acknowledged NHS number durably (a journal) and leave those numbers out of later uploads.',
    async run(ctx) {
      const s = await seen(ctx);
      if (isVerdict(s)) return s;
      const resent = s.calls.filter((v) => v.alreadyRegistered > 0);
      const total = resent.reduce((a, v) => a + v.alreadyRegistered, 0);
      return judge(
        [s.diagnostics],
        resent.length
          ? [
              {
                title: `${total} NHS number(s) sent again after they were acknowledged`,
                received: resent
                  .slice(0, 3)
                  .map((v) => `${callName(v)}: ${v.alreadyRegistered} already registered`)
                  .join('; '),
                expected: 'no call re-sending acknowledged numbers',
                hint: 'keep a journal of acknowledged numbers and skip them (a full replay is for when NHS England asks for one)',
              },
            ]
          : [],
        `${s.calls.length} call(s) judged`,
      );
    },
  },
];
