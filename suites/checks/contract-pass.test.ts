/**
 * A contract pass is recorded only for a full, passing run with a clientId; without a platform it
 * lands in the state directory's contract-pass.json, which the platform imports on start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTRACT_PASS_FILE, contractPassBlocker, recordContractPass } from './contract-pass';
import type { CheckReport } from '../report/check-report';

function report(over: Partial<CheckReport> = {}, summary: Partial<CheckReport['summary']> = {}): CheckReport {
  return {
    tool: 'pca-harness',
    command: 'check',
    version: '0',
    generatedAt: '2025-03-10T12:00:00.000Z',
    durationMs: 1,
    target: { supplierUrl: 'http://127.0.0.1:7171', endpoints: {}, nhsLogin: 'x' },
    options: { suites: ['schema', 'rules'], includeThrottle: false },
    pack: { name: 'p', patients: [] },
    summary: {
      total: 2,
      pass: 1,
      fail: 0,
      skip: 1,
      error: 0,
      mustFailed: [],
      shouldFailed: [],
      passed: true,
      ...summary,
    },
    checks: [{ id: 'GA-01', endpoint: 'Appointment', outcome: 'pass' } as CheckReport['checks'][number]],
    coverage: [],
    notices: [],
    ...over,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'contract-pass-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contractPassBlocker', () => {
  it.each([
    [report({}, { passed: false, mustFailed: ['GA-05'] }), 'pep', 'MUST checks failed: GA-05'],
    [
      report({ options: { suites: ['schema', 'rules'], only: ['GA'], includeThrottle: false } }),
      'pep',
      'only part of the catalogue ran (--only); run every check to record a pass',
    ],
    [
      report({ options: { suites: ['rules'], includeThrottle: false } }),
      'pep',
      'only some suites ran (--suites); run every suite to record a pass',
    ],
    [
      report({ checks: [{ id: 'GA-01', endpoint: 'Appointment', outcome: 'skip' } as CheckReport['checks'][number]] }),
      'pep',
      'no producer check passed (every endpoint was skipped)',
    ],
    [report(), undefined, 'give --client-id (your PCA clientId) to record the pass for it'],
  ])('%#: %s', (r, clientId, reason) => {
    expect(contractPassBlocker(r, clientId)).toBe(reason);
  });

  it('a full passing run with a clientId counts', () => {
    expect(contractPassBlocker(report(), 'pep')).toBeUndefined();
  });
});

describe('recordContractPass without a platform', () => {
  it("writes contract-pass.json, replacing the same client's earlier pass and keeping others", async () => {
    await recordContractPass({ report: report(), clientId: 'pep-a', stateDir: dir });
    await recordContractPass({ report: report(), clientId: 'pep-b', stateDir: dir });
    const r = await recordContractPass({
      report: report({ generatedAt: '2025-03-11T09:00:00.000Z' }),
      clientId: 'pep-a',
      stateDir: dir,
      reportPath: '/tmp/r.json',
    });
    expect(r).toEqual({ recorded: true, clientId: 'pep-a', where: path.join(dir, CONTRACT_PASS_FILE) });
    const file = JSON.parse(readFileSync(path.join(dir, CONTRACT_PASS_FILE), 'utf8')) as {
      passes: Array<{ clientId: string; passedAt: string; report?: string }>;
    };
    expect(file.passes.map((p) => [p.clientId, p.passedAt, p.report])).toEqual([
      ['pep-b', '2025-03-10T12:00:00.000Z', undefined],
      ['pep-a', '2025-03-11T09:00:00.000Z', '/tmp/r.json'],
    ]);
  });

  it('records nothing, and says why, for a run that does not count', async () => {
    expect(
      await recordContractPass({
        report: report({}, { passed: false, mustFailed: ['TK-05'] }),
        clientId: 'pep-c',
        stateDir: dir,
      }),
    ).toEqual({ recorded: false, reason: 'MUST checks failed: TK-05' });
  });
});
