/**
 * The harness proves its own checks can fail: the reference supplier passes every MUST check, and
 * under each fault exactly the checks FAULT_EXPECTATIONS names turn red. Real components throughout:
 * the reference supplier and the mock Record Service in-process on port 0, the NHS login mock, real
 * JWTs, the real upload client.
 */
import type { RunningServer } from '../../core/http';
import { listen } from '../../core/http';
import { generateSigningKey, KeyRing, type SigningKey } from '../../core/keys';
import { DEFAULT_SYNTHETIC_RANGES, seededRandom } from '../../core/nhs-number';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { generatePack } from '../../fixtures/generate';
import { type FixturePack, PackIndex, isEligible } from '../../fixtures/pack';
import { createRecordServiceApp } from '../../mocks/record-service/app';
import { openRegistrationStore, type RegistrationStore } from '../../mocks/record-service/store';
import { createSupplierApp } from '../../mocks/supplier/app';
import { FAULTS, type FaultName } from '../../mocks/supplier/faults';
import { openUploadJournal } from '../../mocks/supplier/journal';
import { uploadPack } from '../../mocks/supplier/upload';
import { CATALOGUE } from './catalogue';
import { FAULT_EXPECTATIONS, UPLOAD_BASELINE } from './fault-expectations';
import { startNhsLogin, type NhsLoginSession } from '../access/nhs-login-session';
import { DEFAULT_PATHS, runCheck } from './run-check';

const on = new Date();
const pack = buildDefaultPack(on);
const CLIENT = { id: 'pca-aggregator', secret: 'faults-test-secret' };

let nhsLogin: NhsLoginSession;
let forgeryKey: SigningKey;

beforeAll(async () => {
  // One NHS login and one forgery key for every run: key generation is the slow part.
  nhsLogin = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing: new KeyRing() });
  forgeryKey = (await generateSigningKey()).key;
});
afterAll(async () => {
  await nhsLogin.close();
});

function failing(report: { checks: Array<{ id: string; outcome: string }> }): string[] {
  return report.checks
    .filter((c) => c.outcome === 'fail' || c.outcome === 'error')
    .map((c) => c.id)
    .sort();
}

async function checkSupplier(fault: FaultName | undefined, includeThrottle: boolean) {
  const server = await listen(
    createSupplierApp({
      pack,
      fault,
      nhsLoginIssuer: nhsLogin.issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
    }),
  );
  try {
    const { report } = await runCheck({
      supplierUrl: server.url,
      paths: DEFAULT_PATHS,
      access: {
        kind: 'client-credentials',
        tokenUrl: `${server.url}/oauth2/token`,
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
      },
      nhsLogin,
      forgeryKey,
      pack,
      selection: { only: ['GA', 'DR', 'TK'] },
      includeThrottle,
    });
    return report;
  } finally {
    await server.close();
  }
}

const apiRows = FAULTS.flatMap((f) => {
  const e = FAULT_EXPECTATIONS[f.name];
  return e.by === 'api'
    ? [{ fault: f.name, checks: [...e.checks].sort(), includeThrottle: e.includeThrottle ?? false }]
    : [];
});

describe('API checks against the reference supplier', () => {
  it('the conforming supplier passes every producer MUST check, the throttle burst included', async () => {
    const report = await checkSupplier(undefined, true);
    expect(failing(report)).toEqual([]);
    expect(report.summary.passed).toBe(true);
    // Nothing skipped either: the default pack has a patient for every probe.
    expect(report.checks.filter((c) => c.outcome === 'skip').map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
  });

  it.each(apiRows)('fault $fault fails exactly $checks', async ({ fault, checks, includeThrottle }) => {
    const report = await checkSupplier(fault, includeThrottle);
    expect(failing(report)).toEqual(checks);
    expect(report.summary.passed).toBe(false);
    // Every failure says what was received and how to fix it.
    for (const c of report.checks.filter((x) => x.outcome === 'fail')) {
      expect(c.findings.length).toBeGreaterThan(0);
      expect(c.evidence[0]?.curl).toMatch(/^curl -sS -i/m);
    }
  });
});

describe('RS checks against the reference upload client', () => {
  const CLIENT_ID = 'pep-appointments';
  const API_KEY = 'faults-test-records-key';
  // More than 200 eligible patients, so batching and the batch limit are exercised.
  const bigPack: FixturePack = generatePack({ count: 420, seed: 7, on });

  interface Platform {
    server: RunningServer;
    store: RegistrationStore;
    close(): Promise<void>;
  }

  async function platform(faults: boolean): Promise<Platform> {
    const index = new PackIndex(bigPack);
    const store = openRegistrationStore(':memory:');
    let tokenUrl = '';
    const app = createRecordServiceApp({
      // Seed 7 fails the first two calls: retrying is exercised from the start.
      clients: [
        {
          clientId: CLIENT_ID,
          apiKey: API_KEY,
          resourceType: 'Appointment',
          ...(faults ? { faults: { errorRates: { 503: 0.5 }, seed: 7 } } : {}),
        },
      ],
      mode: 'strict',
      profile: 'int',
      syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
      tokenUrl: () => tokenUrl,
      keyRing: new KeyRing(),
      store,
      packLookup: (n) => index.get(n),
    });
    const server = await listen(app);
    tokenUrl = `${server.url}/oauth2/token`;
    return {
      server,
      store,
      close: async () => {
        await server.close();
        store.close();
      },
    };
  }

  async function uploadAndCheck(fault: FaultName | undefined, opts: { platformFaults?: boolean; uploads?: 1 | 2 }) {
    const p = await platform(opts.platformFaults ?? false);
    const journal = openUploadJournal(':memory:');
    try {
      for (let i = 0; i < (opts.uploads ?? 1); i++) {
        await uploadPack({
          recordsUrl: p.server.url,
          clientId: CLIENT_ID,
          auth: { type: 'api-key', apiKey: API_KEY },
          pack: bigPack,
          journal,
          fault,
          sleep: async () => undefined,
          random: seededRandom(1),
        });
      }
      const { report } = await runCheck({
        supplierUrl: 'http://127.0.0.1:1',
        paths: {},
        access: { kind: 'bearer', token: 'unused' },
        nhsLogin,
        platform: { url: p.server.url, clientId: CLIENT_ID },
        pack: bigPack,
        selection: { only: ['RS'] },
      });
      return report;
    } finally {
      journal.close();
      await p.close();
    }
  }

  it('the pack really has more than 200 eligible patients, and some that must not be sent', () => {
    expect(bigPack.patients.filter((x) => isEligible(x, on)).length).toBeGreaterThan(200);
    expect(bigPack.patients.some((x) => !isEligible(x, on))).toBe(true);
  });

  it('the conforming client passes every RS check, retrying through platform faults and not resending on a second run', async () => {
    const report = await uploadAndCheck(undefined, UPLOAD_BASELINE);
    expect(report.checks.map((c) => `${c.id} ${c.outcome}`)).toEqual(report.checks.map((c) => `${c.id} pass`));
  });

  const uploadRows = FAULTS.flatMap((f) => {
    const e = FAULT_EXPECTATIONS[f.name];
    return e.by === 'upload'
      ? [
          {
            fault: f.name,
            checks: [...e.checks].sort(),
            platformFaults: e.platformFaults ?? false,
            uploads: e.uploads ?? 1,
          },
        ]
      : [];
  });

  it.each(uploadRows)(
    'upload fault $fault fails exactly $checks',
    async ({ fault, checks, platformFaults, uploads }) => {
      const report = await uploadAndCheck(fault, { platformFaults, uploads });
      expect(failing(report)).toEqual(checks);
    },
  );
});

describe('the fault table', () => {
  it('has a row for every fault, and names checks that exist', () => {
    const ids = new Set(CATALOGUE.map((c) => c.id));
    for (const f of FAULTS) {
      const e = FAULT_EXPECTATIONS[f.name];
      expect(e).toBeDefined();
      if (e.by !== 'elsewhere') {
        expect(e.checks.length).toBeGreaterThan(0);
        for (const id of e.checks) expect(ids.has(id)).toBe(true);
      } else {
        expect(e.reason.length).toBeGreaterThan(20);
      }
    }
  });
});
