/**
 * runReplay end to end with every part real: the mock platform on port 0 (in process, or reached
 * over HTTP), the reference supplier trusting the platform's NHS login, its upload client, SQLite in
 * memory. Pull rates are high so each replay takes well under a second of pulling.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ClientConfig, DEFAULT_CONFIG, type HarnessConfig } from '../../core/config';
import type { SupplierAccess } from '../../core/access';
import type { Appointment } from '../../core/fhir';
import { listen, type RunningServer, UnreachableError } from '../../core/http';
import { maskNhsNumber } from '../../core/nhs-number';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { type FixturePack, isEligible } from '../../fixtures/pack';
import { createPlatform, type Platform } from '../../mocks/platform';
import { createSupplierApp } from '../../mocks/supplier/app';
import type { FaultName } from '../../mocks/supplier/faults';
import { uploadPack } from '../../mocks/supplier/upload';
import { type ReplayProgress, REPLAY_CLIENT_IDS, runReplay } from './replay';
import { renderReplaySummary } from './summary';

const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const eligible = pack.patients.filter((p) => isEligible(p, TODAY));
const SUPPLIER_CLIENT = { clientId: 'pca-aggregator', clientSecret: 'replay-test-secret' };

const SUPPLIER_CLIENTS: ClientConfig[] = [
  { clientId: 'acme-appointments', resourceType: 'Appointment', apiKey: 'acme-appointments-key-0001' },
  { clientId: 'acme-documents', resourceType: 'DocumentReference', apiKey: 'acme-documents-key-0002' },
  { clientId: 'acme-tasks', resourceType: 'Task', apiKey: 'acme-tasks-key-0003' },
];

function config(clients: ClientConfig[] = []): HarnessConfig {
  return { ...DEFAULT_CONFIG, platform: { ...DEFAULT_CONFIG.platform, pullRate: 200, clients } };
}

interface Stack {
  platform: Platform;
  supplier: RunningServer;
  auth: SupplierAccess;
  close(): Promise<void>;
}

async function startStack(
  o: { fault?: FaultName; clients?: ClientConfig[]; supplierPack?: FixturePack } = {},
): Promise<Stack> {
  const platform = createPlatform({ config: config(o.clients), pack, stateDir: ':memory:' });
  await platform.start(0);
  const supplier = await listen(
    createSupplierApp({
      pack: o.supplierPack ?? pack,
      nhsLoginIssuer: platform.urls().issuer,
      ...SUPPLIER_CLIENT,
      ...(o.fault ? { fault: o.fault } : {}),
    }),
  );
  return {
    platform,
    supplier,
    auth: { type: 'client_credentials', tokenUrl: `${supplier.url}/oauth2/token`, ...SUPPLIER_CLIENT },
    async close() {
      await platform.stop();
      await supplier.close();
    },
  };
}

describe('runReplay against the reference supplier', () => {
  let stack: Stack | undefined;
  let reportDir: string | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
    reportDir = undefined;
  });

  it('registers every eligible patient, pulls each from every endpoint, and every pull matches the pack', async () => {
    stack = await startStack();
    reportDir = mkdtempSync(path.join(tmpdir(), 'replay-lib-'));
    const progress: ReplayProgress[] = [];
    const result = await runReplay(
      {
        supplierUrl: stack.supplier.url,
        access: stack.auth,
        pack,
        platform: { kind: 'in-process', platform: stack.platform },
        reportDir,
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(result.outcome).toBe('passed');
    expect(result.run.totals).toMatchObject({
      comparisons: eligible.length * 3,
      match: eligible.length * 3,
      mismatch: 0,
      error: 0,
      differences: 0,
      passed: true,
    });
    expect(result.registration).toMatchObject({
      patients: pack.patients.length,
      eligible: eligible.length,
      missing: 0,
      nothingArrived: false,
      skipped: { 'under-16': 2, sensitive: 1, 'excluded-by-trust': 1 },
    });
    expect(result.clients.map((c) => [c.clientId, c.registered])).toEqual(
      Object.values(REPLAY_CLIENT_IDS).map((id) => [id, eligible.length]),
    );
    expect(result.pulls).toMatchObject({
      expected: eligible.length * 3,
      finished: eligible.length * 3,
      failed: 0,
      stalled: false,
    });
    // Replay registered the patients itself, through the real Record Service.
    expect(result.registration.uploads?.map((u) => u.outcome)).toEqual(['complete', 'complete', 'complete']);

    const under16 = pack.patients.find((p) => p.scenario === 'under 16')!;
    expect(result.run.appView?.find((s) => s.nhsNumberMasked === maskNhsNumber(under16.nhsNumber))).toMatchObject({
      status: 403,
    });
    expect(result.run.appView?.some((s) => s.status === 200 && s.activities > 0)).toBe(true);
    // EVA of the consumer view: every patient the pack gives an expected App view is compared, and matches.
    const withView = eligible.filter((p) => p.consumer?.expectedView);
    expect(withView.length).toBeGreaterThanOrEqual(4);
    const compared = result.run.appView!.filter((s) => s.expected);
    expect(compared.map((s) => s.nhsNumberMasked).sort()).toEqual(
      withView.map((p) => maskNhsNumber(p.nhsNumber)).sort(),
    );
    for (const s of compared) expect(s.differences).toEqual([]);
    expect(progress.some((p) => p.phase === 'pulling' && p.done === p.total)).toBe(true);

    const junit = readFileSync(path.join(reportDir, 'junit.xml'), 'utf8');
    // One comparison per pull, one per compared consumer view, one producer:WF-NFR-02 case per endpoint pulled.
    expect(junit.match(/<testcase /g)).toHaveLength(eligible.length * 3 + withView.length + 3);
    expect(junit).toContain('name="eva.consumer-view"');
    expect(result.run.deadline).toMatchObject({ lateCount: 0, late: [], deadlineMs: 9_000, clientTimeoutMs: 12_000 });
    expect(result.run.deadline!.slowest.map((s) => [s.endpoint.split(' ')[0], s.answers])).toEqual(
      ['Appointment', 'DocumentReference', 'Task'].map((t) => [t, eligible.length]),
    );
    expect(junit).toMatch(
      /<testcase name="producer:WF-NFR-02 Appointment [^"]*"[^>]*>\s*<system-out>\d+ answer\(s\) timed; slowest Appointment /,
    );
    expect(existsSync(path.join(reportDir, 'eva.html'))).toBe(true);
    const json = readFileSync(path.join(reportDir, 'eva.json'), 'utf8');
    for (const p of pack.patients) expect(json).not.toContain(p.nhsNumber);
    const text = renderReplaySummary(result);
    expect(text).toContain('REPLAY PASS');
    expect(text).toMatch(/deadline {3}producer:WF-NFR-02: 0 late answer\(s\) .*; slowest: Appointment /);
    for (const p of pack.patients) expect(text).not.toContain(p.nhsNumber);
  });

  it('with --fault drops-cancelled, reports exactly the missing cancelled appointment (and the total one lower) per patient with one, and nothing else', async () => {
    stack = await startStack({ fault: 'drops-cancelled' });
    const result = await runReplay({
      supplierUrl: stack.supplier.url,
      access: stack.auth,
      pack,
      platform: { kind: 'in-process', platform: stack.platform },
    });
    const cancelled = eligible.filter((p) =>
      (p.expected.Appointment?.entry ?? []).some((e) => (e.resource as Appointment).status === 'cancelled'),
    );
    expect(cancelled.length).toBeGreaterThanOrEqual(2);
    expect(result.outcome).toBe('failed');
    const failing = result.run.verdicts.filter((v) => v.verdict !== 'match');
    expect(failing.map((v) => [v.nhsNumberMasked, v.resourceType, v.verdict]).sort()).toEqual(
      cancelled.map((p) => [maskNhsNumber(p.nhsNumber), 'Appointment', 'mismatch']).sort(),
    );
    for (const v of failing) {
      // The missing appointment, and the Bundle.total one lower that follows from it (EVA reports both).
      expect(v.differences.map((d) => d.kind).sort()).toEqual(['missing-resource', 'total']);
      const missing = v.differences.find((d) => d.kind === 'missing-resource')!;
      expect((missing.expected as Appointment).status).toBe('cancelled');
      const total = v.differences.find((d) => d.kind === 'total')!;
      expect(total.actual).toBe((total.expected as number) - 1);
    }
    expect(result.run.totals).toMatchObject({ mismatch: cancelled.length, error: 0 });
    expect(result.run.totals.byKind).toMatchObject({
      'missing-resource': cancelled.length,
      total: cancelled.length,
      changed: 0,
      'unexpected-resource': 0,
      'not-a-bundle': 0,
    });
  });

  it("--upload supplier: waits while the supplier's own upload client registers the patients, then compares", async () => {
    stack = await startStack({ clients: SUPPLIER_CLIENTS });
    const s = stack;
    const uploads: Array<Promise<unknown>> = [];
    const notices: string[] = [];
    const result = await runReplay(
      {
        supplierUrl: s.supplier.url,
        access: s.auth,
        pack,
        upload: 'supplier',
        timeoutMs: 15_000,
        platform: { kind: 'in-process', platform: s.platform },
      },
      {
        onNotice: (m) => {
          notices.push(m);
          if (!m.startsWith('waiting')) return;
          // The supplier's upload starts only once replay is waiting for it.
          for (const c of SUPPLIER_CLIENTS) {
            uploads.push(
              uploadPack({
                recordsUrl: s.platform.urls().records,
                clientId: c.clientId,
                auth: { type: 'api-key', apiKey: c.apiKey! },
                pack,
                journal: ':memory:',
              }),
            );
          }
        },
      },
    );
    await Promise.all(uploads);
    expect(uploads).toHaveLength(3);
    expect(notices.find((m) => m.startsWith('waiting'))).toContain(
      'acme-appointments (Appointment), acme-documents (DocumentReference), acme-tasks (Task)',
    );
    expect(result.outcome).toBe('passed');
    expect(result.registration.uploads).toBeUndefined();
    expect(result.clients.map((c) => [c.clientId, c.registered])).toEqual(
      SUPPLIER_CLIENTS.map((c) => [c.clientId, eligible.length]),
    );
    expect(result.run.totals).toMatchObject({ comparisons: eligible.length * 3, match: eligible.length * 3 });
  });

  it("--upload supplier: when nothing is registered within the timeout, says so with the Record Service's explanation", async () => {
    stack = await startStack({ clients: SUPPLIER_CLIENTS });
    const s = stack;
    const uploads: Array<Promise<unknown>> = [];
    const result = await runReplay(
      {
        supplierUrl: s.supplier.url,
        access: s.auth,
        pack,
        upload: 'supplier',
        paths: { Appointment: '/Appointment' },
        timeoutMs: 1_500,
        platform: { kind: 'in-process', platform: s.platform },
      },
      {
        onNotice: (m) => {
          if (!m.startsWith('waiting')) return;
          // An upload client that posts to /records/ registers nothing.
          uploads.push(
            uploadPack({
              recordsUrl: s.platform.urls().records,
              clientId: 'acme-appointments',
              auth: { type: 'api-key', apiKey: 'acme-appointments-key-0001' },
              pack,
              journal: ':memory:',
              fault: 'trailing-slash-upload',
            }),
          );
        },
      },
    );
    await Promise.all(uploads);
    expect(result.outcome).toBe('failed');
    expect(result.registration).toMatchObject({ nothingArrived: true, missing: eligible.length });
    expect(result.run.totals).toMatchObject({ comparisons: eligible.length, error: eligible.length });
    expect(result.run.verdicts[0]!.differences[0]!.message).toContain('not registered for clientId acme-appointments');
    expect(result.explain).toContain('trailing-slash');
    expect(result.explain).toContain('POST /records/');
    const text = renderReplaySummary(result);
    expect(text).toContain('no registrations arrived');
    expect(text).toContain('What the Record Service saw during the run');
    expect(text).toContain('REPLAY FAIL');
  });

  it('replays through a platform reached over HTTP (--platform-url), comparing the masked bodies it lists', async () => {
    stack = await startStack({ fault: 'drops-cancelled' });
    const result = await runReplay({
      supplierUrl: stack.supplier.url,
      access: stack.auth,
      pack,
      rate: 500,
      platform: { kind: 'remote', url: stack.platform.url },
    });
    expect(result.platform).toMatchObject({ startedByReplay: false, rate: 200 });
    expect(result.notices.some((n) => n.includes('pulls at its own rate of 200/s'))).toBe(true);
    const cancelled = eligible.filter((p) =>
      (p.expected.Appointment?.entry ?? []).some((e) => (e.resource as Appointment).status === 'cancelled'),
    );
    expect(result.run.totals).toMatchObject({
      comparisons: eligible.length * 3,
      mismatch: cancelled.length,
      error: 0,
      differences: cancelled.length * 2,
    });
    expect(result.run.totals.byKind).toMatchObject({
      'missing-resource': cancelled.length,
      total: cancelled.length,
      changed: 0,
      'unexpected-resource': 0,
    });
  });

  it('refuses to start when the supplier is not there', async () => {
    const closed = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.end();
    });
    const url = closed.url;
    await closed.close();
    const platform = createPlatform({ config: config(), pack, stateDir: ':memory:' });
    try {
      await expect(
        runReplay({
          supplierUrl: url,
          access: { type: 'static', token: 'x' },
          pack,
          platform: { kind: 'in-process', platform },
        }),
      ).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      await platform.stop();
    }
  });
});
