import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixedClock } from '../../core/clock';
import type { Appointment, Bundle, DocumentReference } from '../../core/fhir';
import { PCA_URLS } from '../../core/fhir';
import { generateSigningKey } from '../../core/keys';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import { mintIdToken } from '../../core/tokens';
import { validatePayload, validateProducerBundle } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { type PackPatient, textMentionsPatient } from '../../fixtures/pack';
import { apiBehaviour, CONFORMING_API, CONFORMING_UPLOAD, uploadBehaviour } from './behaviour';
import { type ApiFaultName, FAULT_NAMES, FAULTS, isFaultName, renderFaultList, renderFaultTable } from './faults';
import { startSupplierStack, type StackOptions, type SupplierStack } from './stack';

const pack = buildDefaultPack(new Date());
const scenario = (s: string): PackPatient => pack.patients.find((x) => x.scenario === s)!;
const adult = scenario('booked outpatient, face to face');
const other = scenario('telephone consultation');
const nothing = scenario('nothing to show');
const child = scenario('under 16');
const cancelled = scenario('cancelled outpatient');

interface Answer {
  status: number;
  contentType: string | null;
  correlationId: string | null;
  text: string;
  json: unknown;
}

interface Probe {
  path?: string;
  nhs?: string | null;
  idToken?: string;
  authorization?: string | null;
}

async function get(s: SupplierStack, bearer: string, p: Probe): Promise<Answer> {
  const url = new URL(`${s.supplier.url}${p.path ?? '/Appointment'}`);
  if (p.nhs !== null) url.searchParams.set('patient:identifier', `${NHS_NUMBER_SYSTEM}|${p.nhs ?? adult.nhsNumber}`);
  const headers: Record<string, string> = { 'X-Correlation-ID': 'corr-fault' };
  const auth = p.authorization === undefined ? `Bearer ${bearer}` : p.authorization;
  if (auth !== null) headers.Authorization = auth;
  headers['NHSD-ID-Token'] = p.idToken ?? (await s.idToken({ nhsNumber: p.nhs ?? adult.nhsNumber }));
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    correlationId: res.headers.get('x-correlation-id'),
    text,
    json,
  };
}

const appointments = (a: Answer) => ((a.json as Bundle<Appointment>).entry ?? []).map((e) => e.resource);

interface FaultCase {
  /** Options both the conforming and the faulty supplier get. */
  deps?: Partial<StackOptions>;
  /** What is looked at: a small value, so the table shows the difference at a glance. */
  observe: (s: SupplierStack, bearer: string) => Promise<unknown>;
  conforming: unknown;
  faulty: unknown;
}

/** The latencies the supplier was asked to wait, in order; the wait itself returns at once. */
const sleeps: number[] = [];
const recordSleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};

/** Every api fault must be here (the Record makes the compiler insist). */
const CASES: Record<ApiFaultName, FaultCase> = {
  'no-correlation-echo': {
    observe: async (s, b) => (await get(s, b, {})).correlationId,
    conforming: 'corr-fault',
    faulty: null,
  },
  'virtual-medium': {
    observe: async (s, b) => {
      const a = await get(s, b, {});
      return {
        valid: validateProducerBundle('Appointment', a.json).valid,
        media: appointments(a).map((x) => x.extension?.find((e) => e.url === PCA_URLS.consultationMedium)?.valueCode),
      };
    },
    conforming: { valid: true, media: ['FACE_TO_FACE'] },
    faulty: { valid: false, media: ['VIRTUAL'] },
  },
  'missing-portal-link': {
    observe: async (s, b) => {
      const a = await get(s, b, {});
      return {
        valid: validateProducerBundle('Appointment', a.json).valid,
        links: appointments(a).filter((x) => x.extension?.some((e) => e.url === PCA_URLS.portalLink)).length,
      };
    },
    conforming: { valid: true, links: 1 },
    faulty: { valid: false, links: 0 },
  },
  'no-under16-check': {
    observe: async (s, b) => (await get(s, b, { nhs: child.nhsNumber })).status,
    conforming: 403,
    faulty: 200,
  },
  'no-nhs-crosscheck': {
    // The adult's token (carrying the other patient's birthdate, so only the NHS number differs) asks for the other patient.
    observe: async (s, b) => {
      const a = await get(s, b, {
        nhs: other.nhsNumber,
        idToken: await s.idToken({ nhsNumber: adult.nhsNumber, birthDate: other.birthDate }),
      });
      return { status: a.status, total: (a.json as Bundle).total ?? null };
    },
    conforming: { status: 401, total: null },
    faulty: { status: 200, total: other.expected.Appointment!.total },
  },
  'no-dob-crosscheck': {
    observe: async (s, b) =>
      (await get(s, b, { idToken: await s.idToken({ nhsNumber: adult.nhsNumber, birthDate: '1980-02-29' }) })).status,
    conforming: 401,
    faulty: 200,
  },
  'accepts-any-bearer': {
    observe: async (s, b) => [
      (await get(s, b, { authorization: null })).status,
      (await get(s, b, { authorization: 'Bearer made-up' })).status,
    ],
    conforming: [401, 401],
    faulty: [200, 200],
  },
  'ignores-id-token-signature': {
    observe: async (s, b) => {
      const forger = await generateSigningKey();
      const { token } = await mintIdToken(forger.key, {
        issuer: s.issuer,
        nhsNumber: adult.nhsNumber,
        birthDate: adult.birthDate,
      });
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`;
      return [(await get(s, b, { idToken: token })).status, (await get(s, b, { idToken: none })).status];
    },
    conforming: [401, 401],
    faulty: [200, 200],
  },
  'accepts-p5': {
    observe: async (s, b) =>
      (await get(s, b, { idToken: await s.idToken({ nhsNumber: adult.nhsNumber, proofingLevel: 'P5' }) })).status,
    conforming: 401,
    faulty: 200,
  },
  'empty-200': {
    observe: async (s, b) => {
      const a = await get(s, b, { nhs: nothing.nhsNumber });
      return { status: a.status, body: a.text === '' ? 'empty' : (a.json as Bundle).total };
    },
    conforming: { status: 200, body: 0 },
    faulty: { status: 200, body: 'empty' },
  },
  'wrong-content-type': {
    observe: async (s, b) => [(await get(s, b, {})).contentType, (await get(s, b, { nhs: null })).contentType],
    conforming: ['application/fhir+json; charset=utf-8', 'application/fhir+json; charset=utf-8'],
    faulty: ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
  },
  'total-mismatch': {
    observe: async (s, b) => {
      const bundle = (await get(s, b, {})).json as Bundle;
      return (bundle.total ?? 0) - (bundle.entry?.length ?? 0);
    },
    conforming: 0,
    faulty: 1,
  },
  'drops-cancelled': {
    observe: async (s, b) => appointments(await get(s, b, { nhs: cancelled.nhsNumber })).map((x) => x.status),
    conforming: ['cancelled'],
    faulty: [],
  },
  'leaks-other-patient': {
    observe: async (s, b) => [
      ...new Set(
        appointments(await get(s, b, {})).flatMap((x) =>
          x.participant.filter((p) => p.actor?.type === 'Patient').map((p) => p.actor?.identifier?.value),
        ),
      ),
    ],
    conforming: [adult.nhsNumber],
    faulty: [
      adult.nhsNumber,
      pack.patients.find((p) => p.nhsNumber !== adult.nhsNumber && p.expected.Appointment?.total)!.nhsNumber,
    ],
  },
  'pid-in-description': {
    observe: async (s, b) =>
      ((await get(s, b, { path: '/DocumentReference' })).json as Bundle<DocumentReference>).entry!.map((e) =>
        textMentionsPatient(e.resource.description ?? '', adult),
      ),
    conforming: [false],
    faulty: [true],
  },
  'error-not-operationoutcome': {
    observe: async (s, b) => {
      const a = await get(s, b, { nhs: null });
      return { status: a.status, operationOutcome: validatePayload('operation-outcome', a.json).valid };
    },
    conforming: { status: 400, operationOutcome: true },
    faulty: { status: 400, operationOutcome: false },
  },
  slow: {
    // The latency a supplier adds, as asked of its (recording, instant) sleep: none when conforming,
    // 450-600 ms on every data request when slow. No wall clock is read.
    deps: { sleep: recordSleep },
    observe: async (s, b) => {
      const idToken = await s.idToken({ nhsNumber: adult.nhsNumber });
      sleeps.length = 0;
      for (let i = 0; i < 3; i++) expect((await get(s, b, { idToken })).status).toBe(200);
      return sleeps.filter((ms) => ms >= 450 && ms <= 600).length;
    },
    conforming: 0,
    faulty: 3,
  },
  'no-429': {
    deps: { clock: fixedClock(new Date()), rateLimitTps: 3 },
    observe: async (s, b) => {
      const idToken = await s.idToken({ nhsNumber: adult.nhsNumber });
      const burst = await Promise.all(Array.from({ length: 6 }, () => get(s, b, { idToken })));
      return burst.filter((a) => a.status === 429).length;
    },
    conforming: 3,
    faulty: 0,
  },
  'no-504': {
    deps: { deadlineMs: 40, latencyMs: 250 },
    observe: async (s, b) => (await get(s, b, {})).status,
    conforming: 504,
    faulty: 200,
  },
};

describe('api faults: each makes exactly its observable difference', () => {
  let conforming: SupplierStack;
  let conformingBearer: string;
  beforeAll(async () => {
    conforming = await startSupplierStack({ pack });
    conformingBearer = await conforming.accessToken();
  });
  afterAll(() => conforming.close());

  it.each(Object.entries(CASES) as Array<[ApiFaultName, FaultCase]>)('%s', async (fault, c) => {
    const base = c.deps ? await startSupplierStack({ pack, ...c.deps }) : conforming;
    const broken = await startSupplierStack({ pack, ...c.deps, fault });
    try {
      const baseBearer = c.deps ? await base.accessToken() : conformingBearer;
      expect(await c.observe(base, baseBearer)).toEqual(c.conforming);
      expect(await c.observe(broken, await broken.accessToken())).toEqual(c.faulty);
      expect(c.conforming).not.toEqual(c.faulty);
    } finally {
      await broken.close();
      if (base !== conforming) await base.close();
    }
  });

  it('a faulty supplier is still conforming everywhere else: the happy path of another fault is unchanged', async () => {
    const broken = await startSupplierStack({ pack, fault: 'no-429' });
    try {
      const a = await get(broken, await broken.accessToken(), {});
      expect(a.status).toBe(200);
      expect(a.json).toEqual(adult.expected.Appointment);
    } finally {
      await broken.close();
    }
  });

  it('refuses an upload fault', async () => {
    await expect(startSupplierStack({ pack, fault: 'sends-under16' })).rejects.toThrow(/upload client/);
  });
});

describe('fault catalogue', () => {
  it('has unique names, each with a requirement and a description', () => {
    expect(new Set(FAULT_NAMES).size).toBe(FAULTS.length);
    for (const f of FAULTS) {
      expect(f.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(f.requirement.length).toBeGreaterThan(10);
      expect(f.description.length).toBeGreaterThan(10);
    }
  });

  it('includes every fault the issue names', () => {
    for (const n of [
      'no-correlation-echo',
      'virtual-medium',
      'missing-portal-link',
      'no-under16-check',
      'no-nhs-crosscheck',
      'accepts-any-bearer',
      'ignores-id-token-signature',
      'empty-200',
      'wrong-content-type',
      'total-mismatch',
      'drops-cancelled',
      'leaks-other-patient',
      'pid-in-description',
      'error-not-operationoutcome',
      'slow',
      'no-429',
      'trailing-slash-upload',
      'sends-under16',
    ]) {
      expect(isFaultName(n)).toBe(true);
    }
  });

  it('each api fault changes exactly one hook of the conforming behaviour', () => {
    for (const f of FAULTS) {
      const changed =
        f.affects === 'api'
          ? (Object.keys(CONFORMING_API) as Array<keyof typeof CONFORMING_API>).filter(
              (k) => apiBehaviour(f.name)[k] !== CONFORMING_API[k],
            )
          : (Object.keys(CONFORMING_UPLOAD) as Array<keyof typeof CONFORMING_UPLOAD>).filter(
              (k) => uploadBehaviour(f.name)[k] !== CONFORMING_UPLOAD[k],
            );
      expect({ fault: f.name, changed: changed.length }).toEqual({ fault: f.name, changed: 1 });
    }
    expect(apiBehaviour(undefined)).toBe(CONFORMING_API);
    expect(apiBehaviour('sends-under16')).toBe(CONFORMING_API);
    expect(uploadBehaviour('slow')).toBe(CONFORMING_UPLOAD);
  });

  it('lists every fault with the requirement it violates', () => {
    const text = renderFaultList();
    for (const f of FAULTS) {
      expect(text).toContain(f.name);
      expect(text).toContain(`violates: ${f.requirement}`);
    }
  });

  it('docs/reference-supplier.md carries the generated fault table', () => {
    const doc = readFileSync(path.join(__dirname, '../../docs/reference-supplier.md'), 'utf8');
    expect(doc).toContain(renderFaultTable());
    for (const f of FAULTS) expect(doc).toContain(`| \`${f.name}\` |`);
  });
});
