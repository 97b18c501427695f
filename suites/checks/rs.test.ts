/**
 * RS checks, table-driven over crafted Record Service diagnostics and reconciliation answers: each
 * passes on a clean upload history and fails with exactly the listed findings on a bent one.
 */
import { buildDefaultPack } from '../../fixtures/default-pack';
import { isEligible } from '../../fixtures/pack';
import type { ReasonCode } from '../../mocks/record-service/catalogue';
import { explain, type RecordsCallVerdict as CallVerdict } from '../../mocks/record-service/verdict';
import type { HttpRequest, HttpResponse, CheckVerdict } from './check';
import { CATALOGUE } from './catalogue';
import { fakeContext, json } from '../../test-support/check-context';

const on = new Date('2025-03-10T12:00:00Z');
const pack = buildDefaultPack(on);
const eligible = pack.patients.filter((p) => isEligible(p, on)).map((p) => p.nhsNumber);
const child = pack.patients.find((p) => !isEligible(p, on) && p.scenario === 'under 16')!.nhsNumber;
const PLATFORM = { url: 'http://platform.test', clientId: 'pep-01' };

let nextId = 1;
function call(over: Partial<CallVerdict> = {}, reasons: ReasonCode[] = []): CallVerdict {
  const received = over.received ?? eligible.length;
  return {
    id: nextId++,
    at: '2025-03-10T11:00:00.000Z',
    correlationId: 'c',
    method: 'POST',
    path: '/records',
    mode: 'strict',
    profile: 'int',
    clientId: 'pep-01',
    credential: { kind: 'api-key', clientId: 'pep-01' },
    status: 200,
    outcome: 'registered',
    received,
    registered: received,
    newlyRegistered: received,
    alreadyRegistered: 0,
    ignored: 0,
    reasons: reasons.map((code) => explain({ code, detail: `crafted ${code}` })),
    summary: 'crafted',
    ...over,
  };
}

function platform(calls: CallVerdict[], registered: string[] = eligible) {
  return (req: HttpRequest): HttpResponse => {
    const u = new URL(req.url);
    if (u.pathname === '/_harness/records/diagnostics')
      return json(200, { count: calls.length, verdicts: [...calls].reverse() });
    if (u.pathname === '/_harness/records/reconciliation')
      return json(200, { clientId: 'pep-01', distinctNhsNumbers: registered.length, nhsNumbers: registered });
    return json(404, {});
  };
}

async function verdictOf(id: string, respond: (req: HttpRequest) => HttpResponse): Promise<CheckVerdict> {
  const c = CATALOGUE.find((x) => x.id === id)!;
  return c.run(fakeContext({ pack, on, respond, platform: PLATFORM }));
}

const clean = platform([call()]);
const faulted = [
  call({ status: 503, outcome: 'faulted', registered: 0, newlyRegistered: 0, ignored: eligible.length }, [
    'fault-injected',
  ]),
  call(),
];

interface Row {
  id: string;
  respond: (req: HttpRequest) => HttpResponse;
  findings: string[];
}

const rows: Row[] = [
  {
    id: 'RS-01',
    respond: platform([call({ path: '/records/', registered: 0, newlyRegistered: 0 }, ['trailing-slash'])], []),
    findings: [
      'The path has a trailing slash: POST /records/ is not the Record Service endpoint (call #{n} POST /records/ at 2025-03-10T11:00:00.000Z (HTTP 200))',
    ],
  },
  {
    id: 'RS-02',
    respond: platform([call({ status: 400 }, ['client-id-mismatch'])]),
    findings: [
      'The clientId is not the one the API key or token belongs to (call #{n} POST /records at 2025-03-10T11:00:00.000Z (HTTP 400))',
    ],
  },
  {
    id: 'RS-03',
    respond: platform([call({ received: 250 })]),
    findings: ['250 NHS numbers in one call (call #{n} POST /records at 2025-03-10T11:00:00.000Z (HTTP 200))'],
  },
  {
    id: 'RS-04',
    respond: platform([call({}, ['check-digit'])]),
    findings: [
      'An NHS number fails the Modulus 11 check digit (call #{n} POST /records at 2025-03-10T11:00:00.000Z (HTTP 200))',
    ],
  },
  {
    id: 'RS-05',
    respond: platform([call({}, ['under-16'])]),
    findings: [
      'The patient is under 16 (per the loaded fixture pack) (call #{n} POST /records at 2025-03-10T11:00:00.000Z (HTTP 200))',
    ],
  },
  {
    id: 'RS-06',
    respond: platform([call({}, ['sensitive'])]),
    findings: [
      'The patient is flagged sensitive (per the loaded fixture pack) (call #{n} POST /records at 2025-03-10T11:00:00.000Z (HTTP 200))',
    ],
  },
  {
    id: 'RS-07',
    respond: platform(faulted, eligible.slice(1)),
    findings: ['1 eligible NHS number(s) never registered after 1 failed call(s)'],
  },
  {
    id: 'RS-08',
    respond: platform([call()], [...eligible.slice(2), child]),
    findings: [`2 of ${eligible.length} eligible patient(s) not registered`, '1 ineligible patient(s) registered'],
  },
  {
    id: 'RS-09',
    respond: platform([call(), call({ alreadyRegistered: 5, newlyRegistered: 0 })]),
    findings: ['5 NHS number(s) sent again after they were acknowledged'],
  },
];

const norm = (ts: string[]) => ts.map((t) => t.replace(/call #\d+/, 'call #{n}'));

describe('RS checks', () => {
  it.each(CATALOGUE.filter((c) => c.family === 'RS' && c.id !== 'RS-07').map((c) => c.id))(
    '%s passes on a clean upload',
    async (id) => {
      const v = await verdictOf(id, clean);
      expect(v.outcome).toBe('pass');
    },
  );

  it('RS-07 passes when failed calls were retried until every eligible patient registered', async () => {
    expect((await verdictOf('RS-07', platform(faulted))).outcome).toBe('pass');
  });

  it('RS-07 skips when no call failed: retrying was not exercised, which proves nothing', async () => {
    const v = await verdictOf('RS-07', clean);
    expect(v.outcome).toBe('skip');
    expect(v.outcome === 'skip' && v.reason).toMatch(/^no failed upload was seen/);
  });

  it.each(rows.map((r) => [r.id, r] as const))('%s fails with exactly its findings', async (_id, row) => {
    const v = await verdictOf(row.id, row.respond);
    expect(v.outcome).toBe('fail');
    expect(norm(v.outcome === 'fail' ? v.findings.map((f) => f.title) : [])).toEqual(row.findings);
  });

  it('every RS check skips, with the reason, when the platform saw no upload at all', async () => {
    for (const c of CATALOGUE.filter((x) => x.family === 'RS')) {
      const v = await verdictOf(c.id, platform([], []));
      expect(v.outcome).toBe('skip');
      expect(v.outcome === 'skip' && v.reason).toBe(
        'the Record Service saw no upload for clientId "pep-01": run the supplier\'s upload against http://platform.test/records first (no data is a skip, never a pass)',
      );
    }
  });

  it('an unusable platform is an error, not a pass or a skip', async () => {
    const v = await verdictOf('RS-01', () => json(500, { code: 'error.internal-server-error' }));
    expect(v.outcome).toBe('error');
  });
});
