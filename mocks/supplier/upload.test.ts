import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { listen, type RunningServer } from '../../core/http';
import { generateSigningKey, KeyRing, type SigningKey } from '../../core/keys';
import { memoryLogger } from '../../core/logger';
import { DEFAULT_SYNTHETIC_RANGES, seededRandom } from '../../core/nhs-number';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { generatePack } from '../../fixtures/generate';
import { type FixturePack, isEligible, PackIndex } from '../../fixtures/pack';
import { createRecordServiceApp } from '../record-service/app';
import { openRegistrationStore, type RegistrationStore } from '../record-service/store';
import type { UploadFaultName } from './faults';
import { openUploadJournal } from './journal';
import {
  backoffDelay,
  DEFAULT_RETRY,
  normaliseRecordsUrl,
  uploadPack,
  type UploadOptions,
  type UploadProgress,
} from './upload';

const on = new Date();
const defaultPack = buildDefaultPack(on);
const eligibleOf = (pack: FixturePack) => pack.patients.filter((p) => isEligible(p, on)).map((p) => p.nhsNumber);
const ineligibleOf = (pack: FixturePack) => pack.patients.filter((p) => !isEligible(p, on)).map((p) => p.nhsNumber);
const noWait = async () => undefined;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'supplier-upload-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface TapCall {
  path: string;
  authorization?: string;
  requestId?: string;
  body: { clientId: string; nhsNumbers: string[] };
}

/** A stand-in Record Service that records every call and answers from a script (200 once the script runs out). */
async function recordsTap(script: Array<number | 'hang'> = []) {
  const calls: TapCall[] = [];
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  app.use((req, res) => {
    calls.push({
      path: req.path,
      authorization: req.get('authorization'),
      requestId: req.get('x-request-id'),
      body: req.body as TapCall['body'],
    });
    const next = script.shift() ?? 200;
    if (next === 'hang') return;
    if (next === 200) return res.json({ result: 'success' });
    if (next === 429) res.set('Retry-After', '2');
    res.status(next).json({
      code: next === 400 ? 'error.bad-request' : next === 401 ? 'error.unauthorized' : 'error.internal-server-error',
      data: `scripted ${next} for 9990000018`,
    });
  });
  const server = await listen(app);
  return { server, url: `${server.url}/records`, calls, sent: () => calls.flatMap((c) => c.body.nhsNumbers) };
}

function options(over: Partial<UploadOptions> & Pick<UploadOptions, 'recordsUrl'>): UploadOptions {
  return {
    clientId: 'pep-01',
    auth: { type: 'api-key', apiKey: 'key-supplier-test-01' },
    pack: defaultPack,
    journal: ':memory:',
    sleep: noWait,
    random: seededRandom(1),
    ...over,
  };
}

describe('normaliseRecordsUrl', () => {
  it.each([
    ['http://127.0.0.1:7070', 'http://127.0.0.1:7070/records'],
    ['http://127.0.0.1:7070/', 'http://127.0.0.1:7070/records'],
    ['http://127.0.0.1:7070/records', 'http://127.0.0.1:7070/records'],
    [
      'https://records.int.ptl.patient-care-aggregator.com/records/',
      'https://records.int.ptl.patient-care-aggregator.com/records',
    ],
    ['http://user:pw@host/records//', 'http://host/records'],
  ])('%s -> %s', (given, want) => {
    expect(normaliseRecordsUrl(given)).toBe(want);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => normaliseRecordsUrl('127.0.0.1:7070')).toThrow(/not a URL|http or https/);
    expect(() => normaliseRecordsUrl('ftp://host/records')).toThrow(/http or https/);
  });
});

describe('backoffDelay', () => {
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_000 };
  it('is full jitter under an exponential ceiling with a cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });
  it('never retries sooner than Retry-After asks', () => {
    expect(backoffDelay(1, policy, () => 0.5, 2_000)).toBe(2_000);
  });
});

describe('uploadPack against a scripted Record Service', () => {
  it('sends only eligible patients, in one batch per 200, and reports totals for reconciliation', async () => {
    const tap = await recordsTap();
    try {
      const report = await uploadPack(options({ recordsUrl: tap.server.url }));
      const eligible = eligibleOf(defaultPack);
      expect(tap.calls.map((c) => c.path)).toEqual(['/records']);
      expect(tap.sent().sort()).toEqual([...eligible].sort());
      for (const n of ineligibleOf(defaultPack)) expect(tap.sent()).not.toContain(n);
      expect(tap.calls[0]!.body.clientId).toBe('pep-01');
      expect(tap.calls[0]!.authorization).toBe('Bearer key-supplier-test-01');
      expect(report).toMatchObject({
        outcome: 'complete',
        eligible: eligible.length,
        sent: eligible.length,
        acknowledged: eligible.length,
        failed: 0,
        alreadyAcknowledged: 0,
        acknowledgedTotal: eligible.length,
        batches: 1,
        requests: 1,
        retries: 0,
        batchLimit: 200,
        profile: 'int',
        skipped: { 'under-16': 2, sensitive: 1, 'excluded-by-trust': 1 },
      });
    } finally {
      await tap.server.close();
    }
  });

  it('splits into batches of at most 200 (INT) or 5,000 (prod)', async () => {
    const big = generatePack({ count: 1_300, seed: 11, on });
    const eligible = eligibleOf(big);
    expect(eligible.length).toBeGreaterThan(1_000);
    const tap = await recordsTap();
    try {
      const intRun = await uploadPack(options({ recordsUrl: tap.url, pack: big }));
      const sizes = tap.calls.map((c) => c.body.nhsNumbers.length);
      expect(Math.max(...sizes)).toBe(200);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(eligible.length);
      expect(intRun.batches).toBe(Math.ceil(eligible.length / 200));
      tap.calls.length = 0;
      const prodRun = await uploadPack(options({ recordsUrl: tap.url, pack: big, profile: 'prod' }));
      expect(tap.calls.map((c) => c.body.nhsNumbers.length)).toEqual([eligible.length]);
      expect(prodRun).toMatchObject({ outcome: 'complete', batchLimit: 5000, batches: 1 });
    } finally {
      await tap.server.close();
    }
  });

  it('retries 5xx and 429 with back-off, keeping the batch and its X-Request-ID, and honours Retry-After', async () => {
    const tap = await recordsTap([500, 503, 429, 502]);
    const waits: number[] = [];
    const progress: UploadProgress[] = [];
    try {
      const report = await uploadPack(
        options({
          recordsUrl: tap.url,
          retry: { baseDelayMs: 100, maxDelayMs: 10_000 },
          sleep: async (ms) => {
            waits.push(ms);
          },
          onProgress: (p) => progress.push(p),
        }),
      );
      expect(report).toMatchObject({ outcome: 'complete', requests: 5, retries: 4, failed: 0 });
      expect(new Set(tap.calls.map((c) => JSON.stringify(c.body))).size).toBe(1);
      expect(new Set(tap.calls.map((c) => c.requestId)).size).toBe(1);
      expect(waits).toHaveLength(4);
      expect(waits[0]).toBeLessThan(100);
      expect(waits[1]).toBeLessThan(200);
      expect(waits[2]).toBeGreaterThanOrEqual(2_000);
      expect(waits[3]).toBeLessThan(800);
      expect(progress.map((p) => p.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'acknowledged']);
    } finally {
      await tap.server.close();
    }
  });

  it('retries a call that times out', async () => {
    const tap = await recordsTap(['hang']);
    try {
      const report = await uploadPack(options({ recordsUrl: tap.url, requestTimeoutMs: 150 }));
      expect(report).toMatchObject({ outcome: 'complete', requests: 2, retries: 1 });
    } finally {
      await tap.server.close();
    }
  });

  it('does not retry a 400, keeps the batch for replay, and logs the failure with its index and no NHS number', async () => {
    const tap = await recordsTap([400]);
    const logs = memoryLogger('info');
    const journal = openUploadJournal(':memory:');
    try {
      const report = await uploadPack(options({ recordsUrl: tap.url, journal, logger: logs.logger }));
      expect(report).toMatchObject({
        outcome: 'incomplete',
        requests: 1,
        retries: 0,
        acknowledged: 0,
        failed: report.toSend,
      });
      expect(report.failedBatches).toEqual([
        {
          batchId: expect.any(String),
          firstIndex: 0,
          size: report.toSend,
          status: 400,
          detail: '400 error.bad-request: scripted 400 for 999******8',
        },
      ]);
      expect(journal.attempts('pep-01')).toEqual([
        expect.objectContaining({ outcome: 'failed', status: 400, firstIndex: 0 }),
      ]);
      const line = logs.lines().find((l) => l.includes('batch not acknowledged'))!;
      expect(JSON.parse(line)).toMatchObject({ firstIndex: 0, status: 400, willRetry: false });
      expect(logs.lines().join('\n')).not.toContain('9990000018');

      // The replay sends exactly what failed.
      const replay = await uploadPack(options({ recordsUrl: tap.url, journal }));
      expect(replay).toMatchObject({ outcome: 'complete', alreadyAcknowledged: 0, acknowledged: report.toSend });
    } finally {
      journal.close();
      await tap.server.close();
    }
  });

  it('stops at once when the API key is refused (401), sending nothing more', async () => {
    const big = generatePack({ count: 600, seed: 5, on });
    const tap = await recordsTap([401]);
    try {
      const report = await uploadPack(options({ recordsUrl: tap.url, pack: big }));
      expect(report.outcome).toBe('unauthorised');
      expect(report.message).toMatch(/credentials were refused: 401 error.unauthorized/);
      expect(tap.calls).toHaveLength(1);
      expect(report.batches).toBeGreaterThan(1);
    } finally {
      await tap.server.close();
    }
  });

  it('reports unreachable when the Record Service never answers', async () => {
    const tap = await recordsTap();
    const url = tap.url;
    await tap.server.close();
    const report = await uploadPack(options({ recordsUrl: url, retry: { maxAttempts: 3 } }));
    expect(report).toMatchObject({ outcome: 'unreachable', acknowledged: 0, retries: 2, requests: 3 });
    expect(report.failedBatches[0]!.detail).toMatch(/cannot reach/);
  });

  it('resumes after a crash without resending what was acknowledged', async () => {
    const big = generatePack({ count: 700, seed: 9, on });
    const eligible = eligibleOf(big);
    const file = path.join(tmp, 'resume.sqlite');
    const tap = await recordsTap();
    try {
      const ac = new AbortController();
      const first = await uploadPack(
        options({
          recordsUrl: tap.url,
          pack: big,
          journal: file,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.outcome === 'acknowledged') ac.abort();
          },
        }),
      );
      expect(first).toMatchObject({ outcome: 'aborted', acknowledged: 200, acknowledgedTotal: 200 });
      expect(tap.calls).toHaveLength(1);

      // A new process: only the journal file is shared.
      const second = await uploadPack(options({ recordsUrl: tap.url, pack: big, journal: file }));
      expect(second).toMatchObject({
        outcome: 'complete',
        alreadyAcknowledged: 200,
        toSend: eligible.length - 200,
        acknowledgedTotal: eligible.length,
      });
      expect(tap.sent()).toHaveLength(eligible.length);
      expect(new Set(tap.sent()).size).toBe(eligible.length);

      const third = await uploadPack(options({ recordsUrl: tap.url, pack: big, journal: file }));
      expect(third).toMatchObject({
        outcome: 'complete',
        toSend: 0,
        requests: 0,
        batches: 0,
        alreadyAcknowledged: eligible.length,
      });
      const counts = openUploadJournal(file);
      try {
        expect([...counts.acknowledgementCounts('pep-01').values()].every((c) => c === 1)).toBe(true);
        expect(counts.acknowledgedCount('pep-01', new Date(0))).toBe(0);
        expect(counts.acknowledgedCount('pep-01', new Date(Date.now() + 60_000))).toBe(eligible.length);
      } finally {
        counts.close();
      }
    } finally {
      await tap.server.close();
    }
  });
});

describe('upload faults: each makes exactly its observable difference', () => {
  interface UploadFaultCase {
    pack?: FixturePack;
    script?: number[];
    /** Runs the upload (twice where the fault is about a second run) and returns what is looked at. */
    observe: (tap: Awaited<ReturnType<typeof recordsTap>>, fault?: UploadFaultName) => Promise<unknown>;
    conforming: unknown;
    faulty: unknown;
  }
  const under16 = defaultPack.patients
    .filter((p) => !isEligible(p, on) && p.flags.sensitive !== true && p.flags.excludedByTrust !== true)
    .map((p) => p.nhsNumber);
  const big = generatePack({ count: 400, seed: 3, on });

  const CASES: Record<UploadFaultName, UploadFaultCase> = {
    'trailing-slash-upload': {
      observe: async (tap, fault) => {
        await uploadPack(options({ recordsUrl: tap.url, fault }));
        return tap.calls.map((c) => c.path);
      },
      conforming: ['/records'],
      faulty: ['/records/'],
    },
    'sends-under16': {
      observe: async (tap, fault) => {
        await uploadPack(options({ recordsUrl: tap.url, fault }));
        return under16.filter((n) => tap.sent().includes(n)).length;
      },
      conforming: 0,
      faulty: under16.length,
    },
    'oversized-batch': {
      pack: big,
      observe: async (tap, fault) => {
        await uploadPack(options({ recordsUrl: tap.url, pack: big, fault }));
        return Math.max(...tap.calls.map((c) => c.body.nhsNumbers.length));
      },
      conforming: 200,
      faulty: 250,
    },
    'no-retry': {
      script: [503],
      observe: async (tap, fault) => (await uploadPack(options({ recordsUrl: tap.url, fault }))).outcome,
      conforming: 'complete',
      faulty: 'incomplete',
    },
    'resends-acknowledged': {
      observe: async (tap, fault) => {
        const journal = openUploadJournal(':memory:');
        try {
          await uploadPack(options({ recordsUrl: tap.url, journal, fault }));
          await uploadPack(options({ recordsUrl: tap.url, journal, fault }));
          return { calls: tap.calls.length, maxAcks: Math.max(...journal.acknowledgementCounts('pep-01').values()) };
        } finally {
          journal.close();
        }
      },
      conforming: { calls: 1, maxAcks: 1 },
      faulty: { calls: 2, maxAcks: 2 },
    },
  };

  it.each(Object.entries(CASES) as Array<[UploadFaultName, UploadFaultCase]>)('%s', async (fault, c) => {
    for (const [which, expected] of [
      [undefined, c.conforming],
      [fault, c.faulty],
    ] as const) {
      const tap = await recordsTap([...(c.script ?? [])]);
      try {
        expect(await c.observe(tap, which)).toEqual(expected);
      } finally {
        await tap.server.close();
      }
    }
    expect(c.conforming).not.toEqual(c.faulty);
  });

  it('refuses an api fault', async () => {
    await expect(uploadPack(options({ recordsUrl: 'http://127.0.0.1:9/records', fault: 'slow' }))).rejects.toThrow(
      /affects the API/,
    );
  });
});

describe('uploadPack against the mock Record Service', () => {
  const API_KEY = 'key-supplier-upload-01';
  let clientKey: SigningKey;
  beforeAll(async () => {
    const k = await generateSigningKey();
    clientKey = {
      ...k.key,
      kid: 'supplier-upload-key-1',
      publicJwk: { ...k.key.publicJwk, kid: 'supplier-upload-key-1' },
    };
  });

  /** A Record Service on a fixed port and SQLite file, that can be stopped and started again. */
  async function recordService(
    file: string,
    pack: FixturePack,
    faults?: { errorRates?: Record<string, number>; timeoutRate?: number; seed?: number },
    mode: 'strict' | 'int' = 'strict',
  ) {
    const index = new PackIndex(pack);
    const keyRing = new KeyRing();
    let store: RegistrationStore | undefined;
    let server: RunningServer | undefined;
    let tokenUrl = '';
    const start = async (port = 0) => {
      store = openRegistrationStore(file);
      const app = createRecordServiceApp({
        clients: [
          {
            clientId: 'pep-01',
            apiKey: API_KEY,
            resourceType: 'Appointment',
            jwks: { keys: [clientKey.publicJwk as unknown as Record<string, unknown>] },
            ...(faults ? { faults } : {}),
          },
        ],
        mode,
        profile: 'int',
        syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
        tokenUrl: () => tokenUrl,
        keyRing,
        store,
        packLookup: (n) => index.get(n),
        faults: { timeoutMs: 40 },
      });
      server = await listen(app, port);
      tokenUrl = `${server.url}/oauth2/token`;
    };
    const stop = async () => {
      await server?.close();
      store?.close();
      server = undefined;
      store = undefined;
    };
    await start();
    const port = server!.port;
    return {
      url: `${server!.url}/records`,
      tokenUrl: () => tokenUrl,
      store: () => store!,
      restart: async (downMs: number) => {
        await stop();
        await new Promise((r) => setTimeout(r, downMs));
        await start(port);
      },
      stop,
    };
  }

  it('with 30% of calls failing and a restart mid-run, ends with every eligible NHS number acknowledged exactly once and no ineligible one sent', async () => {
    const pack = generatePack({ count: 1_200, seed: 21, on });
    const eligible = eligibleOf(pack);
    const ineligible = ineligibleOf(pack);
    expect(ineligible.length).toBeGreaterThan(50);
    const rs = await recordService(path.join(tmp, 'rs-chaos.sqlite'), pack, {
      errorRates: { 500: 0.1, 503: 0.1 },
      timeoutRate: 0.1,
      seed: 4,
    });
    const journalFile = path.join(tmp, 'journal-chaos.sqlite');
    let restarted: Promise<void> | undefined;
    try {
      const report = await uploadPack({
        recordsUrl: rs.url,
        clientId: 'pep-01',
        auth: { type: 'api-key', apiKey: API_KEY },
        pack,
        journal: journalFile,
        retry: { maxAttempts: 40, baseDelayMs: 5, maxDelayMs: 60 },
        random: seededRandom(2),
        requestTimeoutMs: 2_000,
        onProgress: (p) => {
          if (p.outcome === 'acknowledged' && p.batch === 2 && !restarted) restarted = rs.restart(150);
        },
      });
      await restarted;
      expect(restarted).toBeDefined();
      expect(report).toMatchObject({
        outcome: 'complete',
        failed: 0,
        eligible: eligible.length,
        acknowledged: eligible.length,
      });
      expect(report.retries).toBeGreaterThan(0);

      const journal = openUploadJournal(journalFile);
      try {
        const counts = journal.acknowledgementCounts('pep-01');
        expect([...counts.keys()].sort()).toEqual([...eligible].sort());
        expect([...counts.values()].every((c) => c === 1)).toBe(true);
        for (const n of ineligible) expect(counts.has(n)).toBe(false);
        // The restart shows as attempts that could not reach the service, then succeeded.
        expect(
          journal
            .attempts('pep-01')
            .some((a) => a.outcome === 'retrying' && /cannot reach|no answer/.test(a.detail ?? '')),
        ).toBe(true);
        expect(
          journal
            .attempts('pep-01')
            .some((a) => a.outcome === 'retrying' && (a.status === 500 || a.status === 503 || a.status === 504)),
        ).toBe(true);
      } finally {
        journal.close();
      }

      const store = rs.store();
      expect(
        store
          .registrationsOf('pep-01', { limit: 5_000 })
          .map((r) => r.nhsNumber)
          .sort(),
      ).toEqual([...eligible].sort());
      expect(store.countDistinct('pep-01')).toBe(eligible.length);
      const verdicts = store.verdicts({ clientId: 'pep-01', limit: 1_000 });
      expect(verdicts.some((v) => v.outcome === 'faulted')).toBe(true);
      const refusals = verdicts
        .flatMap((v) => v.reasons.map((r) => r.code))
        .filter((c) =>
          ['under-16', 'sensitive', 'excluded-by-trust', 'batch-over-limit', 'trailing-slash'].includes(c),
        );
      expect(refusals).toEqual([]);
    } finally {
      await restarted?.catch(() => undefined);
      await rs.stop();
    }
  });

  it('trailing-slash-upload: in int mode the mock answers 200 as INT does, registers nothing, and the report carries its warning', async () => {
    const rs = await recordService(path.join(tmp, 'rs-int-slash.sqlite'), defaultPack, undefined, 'int');
    try {
      const faulty = await uploadPack(
        options({ recordsUrl: rs.url, auth: { type: 'api-key', apiKey: API_KEY }, fault: 'trailing-slash-upload' }),
      );
      expect(faulty).toMatchObject({ outcome: 'complete', recordsUrl: `${rs.url}/` });
      expect(faulty.warnings.join(' ')).toMatch(/trailing-slash|trailing slash/);
      expect(rs.store().countDistinct('pep-01')).toBe(0);

      const conforming = await uploadPack(options({ recordsUrl: rs.url, auth: { type: 'api-key', apiKey: API_KEY } }));
      expect(conforming.warnings.join(' ')).not.toMatch(/trailing/);
      expect(rs.store().countDistinct('pep-01')).toBe(eligibleOf(defaultPack).length);
    } finally {
      await rs.stop();
    }
  });

  it('authenticates with signed-JWT client credentials at the OAuth mock', async () => {
    const rs = await recordService(path.join(tmp, 'rs-oauth.sqlite'), defaultPack);
    try {
      const report = await uploadPack(
        options({ recordsUrl: rs.url, auth: { type: 'signed-jwt', tokenUrl: rs.tokenUrl(), key: clientKey } }),
      );
      expect(report).toMatchObject({ outcome: 'complete', acknowledged: eligibleOf(defaultPack).length });
      expect(rs.store().countDistinct('pep-01')).toBe(eligibleOf(defaultPack).length);
    } finally {
      await rs.stop();
    }
  });

  it('stops as unauthorised when the token endpoint refuses the client assertion', async () => {
    const rs = await recordService(path.join(tmp, 'rs-oauth-bad.sqlite'), defaultPack);
    const stranger = (await generateSigningKey()).key;
    try {
      const report = await uploadPack(
        options({ recordsUrl: rs.url, auth: { type: 'signed-jwt', tokenUrl: rs.tokenUrl(), key: stranger } }),
      );
      expect(report.outcome).toBe('unauthorised');
      expect(report.message).toMatch(/token endpoint .* refused the client assertion \(40[01]/);
      expect(rs.store().countDistinct('pep-01')).toBe(0);
    } finally {
      await rs.stop();
    }
  });
});

describe('the client assertion', () => {
  it('is RS512 with iss = sub = client id, aud = the token URL, a fresh jti and exp within 5 minutes', async () => {
    const assertions: string[] = [];
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.post('/oauth2/token', (req, res) => {
      expect(req.body).toMatchObject({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      });
      assertions.push(String(req.body.client_assertion));
      // An access token that is already nearly spent, so the second batch needs a new one.
      res.json({ access_token: `at-${assertions.length}`, expires_in: '20', token_type: 'Bearer' });
    });
    const tokenServer = await listen(app);
    const tap = await recordsTap();
    const key = (await generateSigningKey()).key;
    try {
      const big = generatePack({ count: 300, seed: 8, on });
      await uploadPack(
        options({
          recordsUrl: tap.url,
          pack: big,
          auth: { type: 'signed-jwt', tokenUrl: `${tokenServer.url}/oauth2/token`, key },
        }),
      );
      expect(tap.calls.map((c) => c.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
      expect(assertions).toHaveLength(2);
      const [a, b] = assertions.map((t) => ({ header: decodeProtectedHeader(t), claims: decodeJwt(t) }));
      expect(a!.header).toMatchObject({ alg: 'RS512', typ: 'JWT', kid: key.kid });
      expect(a!.claims).toMatchObject({ iss: 'pep-01', sub: 'pep-01', aud: `${tokenServer.url}/oauth2/token` });
      expect(a!.claims.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
      expect(a!.claims.jti).not.toBe(b!.claims.jti);
    } finally {
      await tokenServer.close();
      await tap.server.close();
    }
  });

  it('gets a fresh access token once when the Record Service refuses a cached one', async () => {
    let issued = 0;
    const app = express();
    app.post('/oauth2/token', (_req, res) => {
      issued += 1;
      res.json({ access_token: `at-${issued}`, expires_in: '599' });
    });
    const tokenServer = await listen(app);
    const big = generatePack({ count: 300, seed: 8, on });
    const tap = await recordsTap([200, 401]);
    const key = (await generateSigningKey()).key;
    try {
      const report = await uploadPack(
        options({
          recordsUrl: tap.url,
          pack: big,
          auth: { type: 'signed-jwt', tokenUrl: `${tokenServer.url}/oauth2/token`, key },
        }),
      );
      expect(report.outcome).toBe('complete');
      expect(tap.calls.map((c) => c.authorization)).toEqual(['Bearer at-1', 'Bearer at-1', 'Bearer at-2']);
    } finally {
      await tokenServer.close();
      await tap.server.close();
    }
  });
});
