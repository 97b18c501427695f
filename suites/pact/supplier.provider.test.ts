/**
 * Provider side of the PCA -> PCA-Supplier contract: the reference supplier, verified against the
 * COMMITTED pact with the real Pact verifier (never against what the consumer test is regenerating
 * in parallel; see consumer-support.ts). Provider states come from the fixture pack the supplier
 * serves; tokens are real (the supplier's own /oauth2/token, ID tokens from the NHS login mock it
 * trusts). Each fault the contract can see must turn the interactions it breaks red, by name.
 */
import express from 'express';
import { systemClock } from '../../core/clock';
import { listen, type RunningServer } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { FixturePack } from '../../fixtures/pack';
import { PackIndex } from '../../fixtures/pack';
import { isUnder16 } from '../../core/clock';
import type { FaultName } from '../../mocks/supplier/faults';
import {
  startSupplierStack,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  type SupplierStack,
} from '../../mocks/supplier/stack';
import { createCredentials } from '../access/credentials';
import { shippedPact, SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { packStates, remoteStates, type StateSource } from './states';
import { SUPPLIER_INTERACTIONS, SUPPLIER_STATES } from '../../contracts/pact/supplier-contract';
import { type SupplierVerification, verifySupplier } from './verify';

const PACT = shippedPact(SUPPLIER_PACT_FILE);
const pack = buildDefaultPack(systemClock.now());
const ALL = SUPPLIER_INTERACTIONS.map((i) => i.description).sort();
const NOTHING_TO_SHOW = SUPPLIER_INTERACTIONS.filter((i) => i.state === SUPPLIER_STATES.withNothing)
  .map((i) => i.description)
  .sort();

function verifyAgainst(
  stack: SupplierStack,
  usedPack: FixturePack,
  v: { states?: StateSource; paths?: Record<string, string> } = {},
): Promise<SupplierVerification> {
  return verifySupplier({
    supplierUrl: stack.supplier.url,
    pactFile: PACT,
    ...(v.paths ? { paths: v.paths } : {}),
    credentials: createCredentials({
      access: {
        kind: 'client-credentials',
        tokenUrl: `${stack.supplier.url}/oauth2/token`,
        clientId: STACK_CLIENT_ID,
        clientSecret: STACK_CLIENT_SECRET,
      },
      nhsLogin: { url: stack.issuer },
    }),
    states: v.states ?? packStates(usedPack),
  });
}

/** A supplier of its own, for a fault or a pack the shared conforming one does not have. */
async function withSupplier<T>(
  opts: {
    fault?: FaultName;
    pack?: FixturePack;
    paths?: { appointments?: string; documents?: string; tasks?: string };
  },
  body: (stack: SupplierStack, usedPack: FixturePack) => Promise<T>,
): Promise<T> {
  const usedPack = opts.pack ?? pack;
  const stack = await startSupplierStack({
    pack: usedPack,
    ...(opts.fault ? { fault: opts.fault } : {}),
    ...(opts.paths ? { paths: opts.paths } : {}),
  });
  try {
    return await body(stack, usedPack);
  } finally {
    await stack.close();
  }
}

let conforming: SupplierStack;
beforeAll(async () => {
  conforming = await startSupplierStack({ pack });
});
afterAll(() => conforming.close());

const failed = (v: SupplierVerification) =>
  v.interactions
    .filter((i) => i.outcome === 'failed')
    .map((i) => i.description)
    .sort();

describe('PCA-Supplier (provider): the reference supplier against the committed pact', () => {
  it('verifies every interaction of the conforming supplier', async () => {
    const v = await verifyAgainst(conforming, pack);
    expect(v.runProblems).toEqual([]);
    expect(v.interactions.map((i) => [i.description, i.outcome, i.problems])).toEqual(
      ALL.map((d) => [d, 'passed', []]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(v.passed).toBe(true);
    expect(v.pact).toMatchObject({
      consumer: 'PCA',
      provider: 'PCA-Supplier',
      interactions: SUPPLIER_INTERACTIONS.length,
    });
  });

  it('fails every interaction, on the X-Correlation-ID header, under --fault no-correlation-echo', async () => {
    const v = await withSupplier({ fault: 'no-correlation-echo' }, (st, p) => verifyAgainst(st, p));
    expect(v.passed).toBe(false);
    expect(failed(v)).toEqual(ALL);
    for (const i of v.interactions)
      expect(i.problems).toContainEqual(expect.objectContaining({ type: 'header', where: 'X-Correlation-ID' }));
  });

  it('fails exactly the "nothing to show" interactions under --fault empty-200', async () => {
    const v = await withSupplier({ fault: 'empty-200' }, (st, p) => verifyAgainst(st, p));
    expect(v.passed).toBe(false);
    expect(failed(v)).toEqual(NOTHING_TO_SHOW);
    const one = v.interactions.find(
      (i) => i.description === 'a request for the appointments of a patient with nothing to show',
    )!;
    expect(one.state).toBe(SUPPLIER_STATES.withNothing);
    expect(one.problems.map((p) => p.type)).toEqual(expect.arrayContaining(['header']));
    expect(one.problems.some((p) => p.type.startsWith('body'))).toBe(true);
  });

  it('fails every interaction, on Content-Type, under --fault wrong-content-type', async () => {
    const v = await withSupplier({ fault: 'wrong-content-type' }, (st, p) => verifyAgainst(st, p));
    expect(failed(v)).toEqual(ALL);
    for (const i of v.interactions) {
      expect(i.problems).toContainEqual(
        expect.objectContaining({
          type: 'header',
          where: 'Content-Type',
          actual: expect.stringContaining('application/json'),
        }),
      );
    }
  });

  it("maps the contract paths onto the supplier's own paths", async () => {
    const paths = {
      appointments: '/fhir/R4/Appointment',
      documents: '/fhir/R4/DocumentReference',
      tasks: '/fhir/R4/Task',
    };
    const v = await withSupplier({ paths }, (st, p) =>
      verifyAgainst(st, p, {
        paths: { Appointment: paths.appointments, DocumentReference: paths.documents, Task: paths.tasks },
      }),
    );
    expect(failed(v)).toEqual([]);
  });

  it('names the provider state the pack cannot set up, on the interaction that needs it', async () => {
    const today = systemClock.now();
    const noChildren: FixturePack = { ...pack, patients: pack.patients.filter((p) => !isUnder16(p.birthDate, today)) };
    const v = await verifyAgainst(conforming, noChildren);
    expect(failed(v)).toEqual(['a request for the appointments of a patient under 16']);
    const under16 = v.interactions.find((i) => i.state === SUPPLIER_STATES.under16)!;
    expect(under16.problems).toContainEqual({
      type: 'state',
      message: expect.stringContaining('needs a patient under 16'),
    });
  });
});

describe("provider states from the supplier's own endpoint (--provider-states-url)", () => {
  let endpoint: RunningServer;
  const calls: Array<{ state: string; action: string; params: unknown }> = [];
  const index = new PackIndex(pack);
  const inner = packStates(pack);
  let omitBirthDate = false;

  beforeAll(async () => {
    // What a supplier writes for their own test data: state text in, patient out.
    const app = express();
    app.use(express.json());
    app.post('/pact/provider-states', async (req, res) => {
      const { state, params, action } = req.body as { state: string; params: Record<string, unknown>; action: string };
      calls.push({ state, action, params });
      if (action === 'teardown') return res.json({});
      const { patient } = await inner.setup(state, params);
      const p = index.get(patient.nhsNumber)!;
      res.json(omitBirthDate ? { nhsNumber: p.nhsNumber } : { nhsNumber: p.nhsNumber, birthDate: p.birthDate });
    });
    endpoint = await listen(app);
  });
  afterAll(() => endpoint.close());

  it('verifies with the states the supplier sets up, posting the standard setup and teardown bodies', async () => {
    calls.length = 0;
    omitBirthDate = false;
    const v = await verifyAgainst(conforming, pack, { states: remoteStates(`${endpoint.url}/pact/provider-states`) });
    expect(failed(v)).toEqual([]);
    expect(v.states).toBe(`provider-state endpoint ${endpoint.url}/pact/provider-states`);
    const setups = calls.filter((c) => c.action === 'setup');
    expect(setups).toHaveLength(SUPPLIER_INTERACTIONS.length);
    expect(calls.filter((c) => c.action === 'teardown')).toHaveLength(SUPPLIER_INTERACTIONS.length);
    expect(setups).toContainEqual({
      state: SUPPLIER_STATES.withAppointments,
      action: 'setup',
      params: { idTokenFor: 'another patient' },
    });
  });

  it('fails the interactions that need a valid ID token, with the reason, when the endpoint leaves out the birth date', async () => {
    omitBirthDate = true;
    const v = await verifyAgainst(conforming, pack, { states: remoteStates(`${endpoint.url}/pact/provider-states`) });
    // Without a patient the pact's example token is sent: the requests meant to be refused with a 400 or
    // 401 still are, every other one is refused too and fails.
    const refusedAnyway = new Set(['missing-identifier', 'invalid-identifier', 'no-bearer', 'other-patients-token']);
    expect(failed(v)).toEqual(
      SUPPLIER_INTERACTIONS.filter((i) => !refusedAnyway.has(i.key))
        .map((i) => i.description)
        .sort(),
    );
    const appts = v.interactions.find(
      (i) => i.description === 'a request for the appointments of a patient who has some',
    )!;
    expect(appts.problems).toContainEqual({
      type: 'state',
      message: expect.stringContaining('needs "birthDate" as YYYY-MM-DD'),
    });
  });
});
