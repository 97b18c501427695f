/**
 * Issue 13's proof that verdicts hold no false failures: a supplier built to the official producer
 * schema's own shape (Task.identifier one object, `authored`, reasonCode.coding one object,
 * context.related[].references; docs/spec-errata.md E-06..E-09) passes `check` and `replay` with
 * warnings only, exit 0, and every warning names its erratum. The supplier is the reference
 * supplier serving the default pack rewritten into that shape; the harness judges it against the
 * pack as it is.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG } from '../core/config';
import { listen, type RunningServer } from '../core/http';
import { buildDefaultPack } from '../fixtures/default-pack';
import { isEligible } from '../fixtures/pack';
import { createSupplierApp } from '../mocks/supplier/app';
import type { PatientVerdict } from '../suites/eva/compare';
import type { CheckReport } from '../suites/report/check-report';
import { runCli } from '../test-support/cli';
import { packInSchemaShape } from '../test-support/schema-shape';

const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const shaped = packInSchemaShape(pack);
const eligible = pack.patients.filter((p) => isEligible(p, TODAY));

let dir: string;
let servers: RunningServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-schema-shape-'));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = await listen((_req: IncomingMessage, res: ServerResponse) => res.end());
  await s.close();
  return s.port;
}

async function schemaShapedSupplier(issuer: string): Promise<RunningServer> {
  const s = await listen(
    createSupplierApp({
      pack: shaped,
      nhsLoginIssuer: issuer,
      clientId: DEFAULT_CONFIG.supplier.clientId,
      clientSecret: DEFAULT_CONFIG.supplier.clientSecret,
    }),
  );
  servers.push(s);
  return s;
}

it('the rewritten pack really is in the schema shape (so the test below proves something)', () => {
  const task = shaped.patients.flatMap((p) => p.expected.Task?.entry ?? [])[0]!.resource as unknown as Record<
    string,
    unknown
  >;
  expect(task.authored).toEqual(expect.any(String));
  expect(task.authoredOn).toBeUndefined();
  expect(Array.isArray(task.identifier)).toBe(false);
  expect(Array.isArray((task.reasonCode as { coding: unknown }).coding)).toBe(false);
  const doc = shaped.patients.flatMap((p) => p.expected.DocumentReference?.entry ?? [])[0]!.resource as unknown as {
    context: { related: Array<Record<string, unknown>> };
  };
  expect(doc.context.related[0]!.references).toEqual(expect.any(String));
  expect(doc.context.related[0]!.reference).toBeUndefined();
});

it('passes check with warnings only: exit 0, TK-01 and DR-01 warn naming E-06, E-07, E-08 and E-09', async () => {
  const issuer = `http://127.0.0.1:${await freePort()}/nhs-login`;
  const s = await schemaShapedSupplier(issuer);
  const r = await runCli(['check', '--supplier', s.url, '--report-dir', 'out'], {
    cwd: dir,
    env: {
      PCA_HARNESS_LOG_LEVEL: 'silent',
      PCA_HARNESS_STATE_DIR: path.join(dir, 'state'),
      PCA_HARNESS_SUPPLIER_NHS_LOGIN_ISSUER: issuer,
    },
  });
  const report = JSON.parse(readFileSync(path.join(dir, 'out', 'report.json'), 'utf8')) as CheckReport;
  expect(report.checks.filter((c) => c.outcome === 'fail' || c.outcome === 'error').map((c) => c.id)).toEqual([]);
  expect(r.code).toBe(0);
  const warned = report.checks.filter((c) => c.outcome === 'warn');
  expect(warned.map((c) => c.id).sort()).toEqual(['DR-01', 'TK-01']);
  const errata = (id: string) => [...new Set(warned.find((c) => c.id === id)!.warnings.map((w) => w.erratum))].sort();
  expect(errata('TK-01')).toEqual(['E-06', 'E-07', 'E-08']);
  expect(errata('DR-01')).toEqual(['E-09']);
  for (const w of warned.flatMap((c) => c.warnings)) expect(w.hint.length).toBeGreaterThan(10);
  expect(report.summary).toMatchObject({ passed: true, warn: 2, fail: 0, error: 0 });
  expect(r.stdout).toContain('  WARN  TK-01 [MUST]');
  expect(r.stdout).toMatch(/PASSED: every MUST check that ran passed \(2 with warnings/);
  expect(readFileSync(path.join(dir, 'out', 'junit.xml'), 'utf8')).toContain('<property name="warnings" value="1"/>');
}, 120_000);

it('passes replay (EVA) with warnings only: exit 0, every Task and document comparison a match with warnings', async () => {
  const port = await freePort();
  const s = await schemaShapedSupplier(`http://127.0.0.1:${port}/nhs-login`);
  const r = await runCli(
    [
      'replay',
      '--supplier',
      s.url,
      '--client-id',
      DEFAULT_CONFIG.supplier.clientId,
      '--client-secret',
      DEFAULT_CONFIG.supplier.clientSecret,
      '--rate',
      '200',
      '--report-dir',
      'out',
    ],
    {
      cwd: dir,
      env: {
        PCA_HARNESS_LOG_LEVEL: 'silent',
        PCA_HARNESS_STATE_DIR: ':memory:',
        PCA_HARNESS_PLATFORM_PORT: String(port),
        PCA_HARNESS_SUPPLIER_NHS_LOGIN_ISSUER: `http://127.0.0.1:${port}/nhs-login`,
      },
    },
  );
  const run = JSON.parse(readFileSync(path.join(dir, 'out', 'eva.json'), 'utf8')) as { verdicts: PatientVerdict[] };
  expect(run.verdicts.filter((v) => v.verdict === 'mismatch' || v.verdict === 'error')).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('REPLAY PASS');
  expect(run.verdicts).toHaveLength(eligible.length * 3);
  const warned = run.verdicts.filter((v) => v.verdict === 'warn');
  expect(warned.length).toBeGreaterThan(0);
  expect(new Set(warned.map((v) => v.resourceType))).toEqual(new Set(['Task', 'DocumentReference']));
  expect(new Set(warned.flatMap((v) => v.warnings!.map((w) => w.erratum)))).toEqual(
    new Set(['E-06', 'E-07', 'E-08', 'E-09']),
  );
  expect(r.stdout).toMatch(/WARN {5}E-08 in \d+ places?: Task.identifier is one object/);
}, 120_000);
