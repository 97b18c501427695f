/**
 * Every producer check, table-driven: against a conforming supplier it passes; against a supplier
 * bent in the one way the check is about it fails with exactly the findings listed. Inputs are
 * crafted responses; no network.
 */
import type { Appointment, Bundle, DocumentReference, Task } from '../../core/fhir';
import { PCA_URLS } from '../../core/fhir';
import { CORRELATION_HEADER } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { FixturePack } from '../../fixtures/pack';
import type { Check, HttpRequest, HttpResponse, CheckVerdict } from './check';
import { CATALOGUE } from './catalogue';
import { notApplicable } from './runner';
import { withoutPid } from './producer';
import { conformingSupplier, fakeContext, json } from '../../test-support/check-context';

const on = new Date('2025-03-10T12:00:00Z');
const pack = buildDefaultPack(on);
const supplier = conformingSupplier(pack, on);

function check(id: string): Check {
  const c = CATALOGUE.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

async function verdictOf(
  id: string,
  respond: (req: HttpRequest) => HttpResponse,
  opts: { includeThrottle?: boolean; pack?: FixturePack } = {},
): Promise<CheckVerdict> {
  const ctx = fakeContext({ pack: opts.pack ?? pack, on, respond, includeThrottle: opts.includeThrottle });
  return check(id).run(ctx);
}

function titles(v: CheckVerdict): string[] {
  return v.outcome === 'fail' ? v.findings.map((f) => f.title) : [];
}

/** Bends the conforming supplier's 200 bundles. */
function bundles(edit: (b: Bundle, req: HttpRequest) => Bundle) {
  return (req: HttpRequest): HttpResponse => {
    const res = supplier(req);
    if (res.status !== 200) return res;
    const b = edit(structuredClone(res.json as Bundle), req);
    return json(200, b, res.headers);
  };
}

function appointments(edit: (a: Appointment) => Appointment) {
  return bundles((b) => ({
    ...b,
    entry: b.entry?.map((e) => ({
      ...e,
      resource: e.resource.resourceType === 'Appointment' ? edit(e.resource as Appointment) : e.resource,
    })),
  }));
}

/** Answers `status` to requests whose label is `label`, instead of what the conforming supplier would. */
function answering(label: string, res: HttpResponse) {
  return (req: HttpRequest): HttpResponse =>
    req.label === label
      ? { ...res, headers: { ...res.headers, 'x-correlation-id': req.headers[CORRELATION_HEADER] ?? '' } }
      : supplier(req);
}

const ok200 = json(200, { resourceType: 'Bundle', type: 'searchset', total: 0 });

const happyPatient = pack.patients.find(
  (p) => p.nhsNumber === fakeContext({ pack, on, respond: supplier }).roster.withData.Appointment!.nhsNumber,
)!;

interface Row {
  id: string;
  respond: (req: HttpRequest) => HttpResponse;
  findings: string[];
  includeThrottle?: boolean;
}

const failing: Row[] = [
  {
    id: 'GA-01',
    respond: appointments((a) => {
      const { status: _s, ...rest } = a;
      return rest as Appointment;
    }),
    findings: ['/entry/0/resource/status missing required property "status"'],
  },
  {
    id: 'GA-02',
    respond: bundles((b) => ({ ...b, total: (b.total ?? 0) + 1 })),
    findings: ['Bundle.total does not equal the number of entries'],
  },
  {
    id: 'GA-03',
    respond: answering(
      'patient with nothing to show',
      json(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }),
    ),
    findings: ['HTTP 404 instead of 200'],
  },
  {
    id: 'GA-04',
    respond: (req) => ({ ...supplier(req), headers: { ...supplier(req).headers, 'content-type': 'application/json' } }),
    findings: ['wrong Content-Type'],
  },
  {
    id: 'GA-05',
    respond: (req) => {
      const r = supplier(req);
      const { 'x-correlation-id': _c, ...headers } = r.headers;
      return { ...r, headers };
    },
    findings: [
      'X-Correlation-ID not echoed on the 200 response (patient with appointments)',
      'X-Correlation-ID not echoed on the 400 response (missing patient:identifier)',
    ],
  },
  { id: 'GA-06', respond: answering('missing patient:identifier', ok200), findings: ['HTTP 200 instead of 400'] },
  { id: 'GA-07', respond: answering('invalid patient:identifier', ok200), findings: ['HTTP 200 instead of 400'] },
  { id: 'GA-08', respond: answering('no bearer token', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-09', respond: answering('invalid bearer token', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-10', respond: answering('forged ID token', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-11', respond: answering('expired ID token', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-12', respond: answering('ID token from another issuer', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-13', respond: answering('ID token for another NHS number', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-14', respond: answering('ID token with another birth date', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-15', respond: answering('ID token proofed to P5', ok200), findings: ['HTTP 200 instead of 401'] },
  { id: 'GA-16', respond: answering('patient under 16', ok200), findings: ['HTTP 200 instead of 403'] },
  {
    id: 'GA-16',
    respond: answering(
      'patient under 16',
      json(403, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'too young' }],
      }),
    ),
    findings: ['the 403 does not say UNDER_16_DENIED'],
  },
  {
    id: 'GA-17',
    respond: answering('missing patient:identifier', json(400, { error: 'bad request' })),
    findings: ['the 400 body is not an OperationOutcome (missing patient:identifier)'],
  },
  {
    id: 'GA-17',
    respond: answering(
      'no bearer token',
      json(401, { resourceType: 'OperationOutcome', issue: [{ severity: 'bad', code: 'processing' }] }),
    ),
    findings: ['must be one of "fatal", "error", "warning", "information" (no bearer token)'],
  },
  {
    id: 'GA-18',
    respond: appointments((a) => ({
      ...a,
      participant: a.participant.map((p) =>
        p.actor?.type === 'Patient'
          ? { ...p, actor: { ...p.actor, identifier: { ...p.actor.identifier, value: '9990000018' } } }
          : p,
      ),
    })),
    findings: ['Appointment/{id} belongs to another NHS number'],
  },
  {
    id: 'GA-19',
    respond: appointments((a) => ({ ...a, description: `${a.description} for ${happyPatient.name.family}` })),
    findings: ['Appointment.description names the patient'],
  },
  {
    id: 'GA-20',
    includeThrottle: true,
    respond: supplier,
    findings: ['no 429 in a burst of 80 requests'],
  },
  {
    id: 'GA-21',
    respond: appointments((a) => ({
      ...a,
      extension: a.extension?.map((e) => (e.url === PCA_URLS.consultationMedium ? { ...e, valueCode: 'VIRTUAL' } : e)),
    })),
    // The patient with appointments and the one with a cancelled appointment: one each.
    findings: [
      'Appointment/{id} has consultation medium "VIRTUAL"',
      'Appointment/{id} has consultation medium "VIRTUAL"',
    ],
  },
  {
    id: 'GA-22',
    respond: appointments((a) => ({
      ...a,
      extension: a.extension?.map((e) =>
        e.url === PCA_URLS.portalLink ? { ...e, valueUrl: 'http://portal.example/appt' } : e,
      ),
    })),
    findings: [
      'Appointment/{id} deep link is not an absolute https URL',
      'Appointment/{id} deep link is not an absolute https URL',
    ],
  },
  {
    id: 'GA-23',
    respond: bundles((b) => {
      const entry = (b.entry ?? []).filter((e) => (e.resource as Appointment).status !== 'cancelled');
      return { ...b, entry, total: entry.length };
    }),
    findings: ['cancelled appointments are missing'],
  },
  {
    id: 'DR-21',
    respond: bundles((b) => ({
      ...b,
      entry: b.entry?.map((e) => ({
        ...e,
        resource: {
          ...(e.resource as DocumentReference),
          content: [{ attachment: { contentType: 'application/pdf', url: '/letters/1.pdf' } }],
        },
      })),
    })),
    findings: ['DocumentReference/{id} link is not an absolute https URL'],
  },
  {
    id: 'TK-21',
    respond: bundles((b) => ({
      ...b,
      entry: b.entry?.map((e) => ({
        ...e,
        resource: { ...(e.resource as Task), reasonReference: { type: 'Questionnaire', reference: 'Questionnaire/1' } },
      })),
    })),
    findings: ['Task/{id} questionnaire link is not an absolute https URL'],
  },
];

/** Resource ids vary with the pack; findings name them, so the table uses {id}. */
function normalise(ts: string[]): string[] {
  return ts.map((t) => t.replace(/^(\w+)\/[^ ]+/, '$1/{id}'));
}

/** A rate limiter in front of the conforming supplier: what GA-20 wants to see. */
function limited(limit: number) {
  let n = 0;
  return (req: HttpRequest): HttpResponse =>
    req.label === 'throttle burst' && ++n > limit
      ? json(429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] })
      : supplier(req);
}

describe('producer checks: a conforming supplier passes', () => {
  const ids = CATALOGUE.filter((c) => c.family !== 'RS').map((c) => c.id);
  it.each(ids)('%s passes', async (id) => {
    const v = await verdictOf(id, id.endsWith('-20') ? limited(60) : supplier, { includeThrottle: true });
    expect(v.outcome).toBe('pass');
    expect(v.exchanges.length).toBeGreaterThan(0);
  });
});

describe('producer checks: the supplier bent one way fails with exactly these findings', () => {
  it.each(failing.map((r) => [r.id, r.findings.join(' | '), r] as const))('%s fails: %s', async (_id, _f, row) => {
    const v = await verdictOf(row.id, row.respond, { includeThrottle: row.includeThrottle });
    expect(v.outcome).toBe('fail');
    expect(normalise(titles(v))).toEqual(row.findings);
    if (v.outcome === 'fail') for (const f of v.findings) expect(f.hint.length).toBeGreaterThan(5);
  });

  it('every shared producer check and every family check has a failing row', () => {
    const covered = new Set(failing.map((r) => r.id.replace(/^(DR|TK)-(0\d|1\d|20)$/, 'GA-$2')));
    const wanted = CATALOGUE.filter(
      (c) => c.family === 'GA' || ((c.family === 'DR' || c.family === 'TK') && Number(c.id.slice(3)) > 20),
    ).map((c) => c.id);
    expect(wanted.filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe('findings do not repeat the PID they report', () => {
  it('GA-19 shows where the name sits, not the name', async () => {
    const v = await verdictOf(
      'GA-19',
      appointments((a) => ({
        ...a,
        description: `${a.description} for ${happyPatient.name.given[0]} ${happyPatient.name.family}, born ${happyPatient.birthDate}`,
      })),
    );
    expect(v.outcome === 'fail' && v.findings[0]!.received).toMatch(/ for \[name\] \[name\], born \[date of birth\]$/);
  });

  it('withoutPid covers the spaced NHS number and dd/mm/yyyy dates', () => {
    const [y, m, d] = happyPatient.birthDate.split('-');
    const n = happyPatient.nhsNumber;
    expect(
      withoutPid(
        `Letter ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)} ${d}/${m}/${y} ${happyPatient.name.family.toUpperCase()}`,
        happyPatient,
      ),
    ).toBe('Letter [NHS number] [date of birth] [name]');
  });
});

describe('skips and guards', () => {
  it('a pack without a child skips the under-16 check with the reason, never passes it', async () => {
    const adults = { ...pack, patients: pack.patients.filter((p) => !p.scenario?.includes('16')) };
    const v = await verdictOf('GA-16', supplier, { pack: adults });
    expect(v).toEqual({ outcome: 'skip', exchanges: [], reason: 'the fixture pack has no patient under 16' });
  });

  it('checks that judge a Bundle skip (pointing at XX-01) when the patient with data was refused', async () => {
    const v = await verdictOf(
      'GA-02',
      answering(
        'patient with appointments',
        json(401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] }),
      ),
    );
    expect(v.outcome).toBe('skip');
    expect(v.outcome === 'skip' && v.reason).toMatch(
      /^no Bundle to judge: the request for a patient with data answered 401 .*GA-01 reports it$/,
    );
  });

  it('the throttle check, the RS checks and endpoints not offered are guarded outside the checks', () => {
    const ctx = fakeContext({ pack, on, respond: supplier });
    expect(notApplicable(check('GA-20'), ctx)).toBe('opt-in: run with --include-throttle to send the 60 TPS burst');
    expect(notApplicable(check('RS-01'), ctx)).toBe(
      'needs the platform that saw the uploads: give --platform-url and --client-id',
    );
    expect(notApplicable(check('DR-01'), { ...ctx, endpoints: { Appointment: ctx.endpoints.Appointment } })).toBe(
      'the supplier offers no DocumentReference endpoint in this run (not in --paths)',
    );
    expect(notApplicable(check('GA-01'), ctx)).toBeUndefined();
  });

  it('shares one request between the checks that judge the same response', async () => {
    const ctx = fakeContext({ pack, on, respond: supplier });
    for (const id of ['GA-01', 'GA-02', 'GA-04', 'GA-19', 'GA-21', 'GA-22']) await check(id).run(ctx);
    const happy = ctx.requests.filter((r) => r.label === 'patient with appointments');
    expect(happy).toHaveLength(1);
  });
});
