/**
 * `pca-harness check` end to end, in-process: the reference supplier on port 0, trusting the NHS
 * login issuer that `check` itself serves (on a port chosen for the test, as 7070 would be).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG } from '../../core/config';
import { listen, type RunningServer } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { createSupplierApp } from '../../mocks/supplier/app';
import type { FaultName } from '../../mocks/supplier/faults';
import { renderCatalogueMarkdown } from '../../suites/checks/catalogue';
import type { CheckReport } from '../../suites/report/check-report';
import { runCli } from '../../test-support/cli';
import { createPlatform } from '../../mocks/platform';
import { uploadPack } from '../../mocks/supplier/upload';
import { parseOnly, parsePaths, parseSince } from './check';

let dir: string;
let issuer: string;

async function freePort(): Promise<number> {
  const s = await listen((_req: IncomingMessage, res: ServerResponse) => res.end());
  const port = s.port;
  await s.close();
  return port;
}

const env = () => ({
  PCA_HARNESS_LOG_LEVEL: 'silent',
  PCA_HARNESS_STATE_DIR: path.join(dir, 'state'),
  PCA_HARNESS_SUPPLIER_NHS_LOGIN_ISSUER: issuer,
});
const cli = (args: string[]) => runCli(['check', ...args], { cwd: dir, env: env() });

async function supplier(fault?: FaultName): Promise<RunningServer> {
  return listen(
    createSupplierApp({
      pack: buildDefaultPack(new Date()),
      fault,
      nhsLoginIssuer: issuer,
      clientId: DEFAULT_CONFIG.supplier.clientId,
      clientSecret: DEFAULT_CONFIG.supplier.clientSecret,
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-check-cli-'));
  issuer = `http://127.0.0.1:${await freePort()}/nhs-login`;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pca-harness check --list', () => {
  it('prints the catalogue', async () => {
    const r = await cli(['--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(renderCatalogueMarkdown());
    expect(r.stdout).toContain(
      '| GA-05 | MUST | rules | X-Correlation-ID is echoed back | PS-CORRELATION-ID, WF-NFR-09 |',
    );
  });

  it('--coverage shows what each requirement is verified by, and what no check covers, with the reason', async () => {
    const r = await cli(['--list', '--coverage']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}WF-NFR-17 +MUST +Access to personal identifiable data: GA-19, DR-19, TK-19$/m);
    expect(r.stdout).toMatch(/^Not covered by any check:$/m);
    expect(r.stdout).toMatch(
      /^ {2}WF-NFR-18 +Inactivity timeouts: front-end behaviour of the portal, not testable through the API$/m,
    );
  });
});

describe('pca-harness check against the reference supplier', () => {
  it('passes, writes the three reports and records the contract pass in the state dir', async () => {
    const s = await supplier();
    try {
      const r = await cli(['--supplier', s.url, '--records-client-id', 'pep-appointments', '--report-dir', 'out']);
      expect(r.stderr).toContain(`with NHS login ${issuer}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/PASSED: every MUST check that ran passed/);
      expect(r.stdout).toContain(
        `contract pass recorded for clientId "pep-appointments" at ${path.join(dir, 'state', 'contract-pass.json')}`,
      );
      for (const f of ['report.json', 'junit.xml', 'report.html'])
        expect(existsSync(path.join(dir, 'out', f))).toBe(true);
      const report = JSON.parse(readFileSync(path.join(dir, 'out', 'report.json'), 'utf8')) as CheckReport;
      expect(report.summary).toMatchObject({ passed: true, fail: 0, error: 0 });
      expect(report.target.nhsLogin).toBe(issuer);
      const pass = JSON.parse(readFileSync(path.join(dir, 'state', 'contract-pass.json'), 'utf8')) as {
        passes: Array<{ clientId: string }>;
      };
      expect(pass.passes.map((p) => p.clientId)).toEqual(['pep-appointments']);
    } finally {
      await s.close();
    }
  });

  it('exits 1 when a MUST check fails, names it with what to fix, and records no pass', async () => {
    const s = await supplier('no-correlation-echo');
    try {
      const r = await cli(['--supplier', s.url, '--records-client-id', 'pep-faulty', '--report-dir', 'out-fault']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^ {2}FAIL {2}GA-05 \[MUST\] X-Correlation-ID is echoed back/m);
      expect(r.stdout).toContain('fix: Copy the X-Correlation-ID request header onto every response');
      expect(r.stdout).toContain('contract pass not recorded: MUST checks failed: GA-05, DR-05, TK-05');
      expect(r.stdout).toMatch(/FAILED: 3 MUST check\(s\) failed: GA-05, DR-05, TK-05\n$/);
    } finally {
      await s.close();
    }
  });

  it('--only and --paths narrow the run; a partial run records no pass', async () => {
    const s = await supplier();
    try {
      const r = await cli([
        '--supplier',
        s.url,
        '--paths',
        'appointments=/Appointment',
        '--only',
        'GA-05,DR-05',
        '--suites',
        'rules',
        '--records-client-id',
        'pep-partial',
        '--report-dir',
        'out-only',
      ]);
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, 'out-only', 'report.json'), 'utf8')) as CheckReport;
      expect(report.checks.map((c) => `${c.id} ${c.outcome}`)).toEqual(['GA-05 pass', 'DR-05 skip']);
      expect(report.checks[1]!.reason).toBe(
        'the supplier offers no DocumentReference endpoint in this run (not in --paths)',
      );
      expect(report.contractPass).toEqual({
        recorded: false,
        reason: 'only part of the catalogue ran (--only); run every check to record a pass',
      });
    } finally {
      await s.close();
    }
  });

  it('exits 2 with a clear message when the supplier refuses the client credentials', async () => {
    const s = await supplier();
    try {
      const r = await cli(['--supplier', s.url, '--client-secret', 'not-the-secret', '--report-dir', 'out-creds']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /the token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth2\/token did not issue an access token \(HTTP 401: invalid_client/,
      );
    } finally {
      await s.close();
    }
  });
});

describe('pca-harness check with a running platform', () => {
  it("mints ID tokens there, judges the supplier's uploads it saw, and records the contract pass there", async () => {
    const stateDir = path.join(dir, 'state-platform');
    const clientId = 'pep-appointments';
    const apiKey = 'check-test-records-api-key';
    const platform = createPlatform({
      config: {
        ...DEFAULT_CONFIG,
        stateDir,
        platform: {
          ...DEFAULT_CONFIG.platform,
          clients: [{ clientId, apiKey, resourceType: 'Appointment', requireContractPass: true }],
        },
      },
      stateDir,
    });
    const server = await platform.start(0, '127.0.0.1');
    const s = await listen(
      createSupplierApp({
        pack: buildDefaultPack(new Date()),
        nhsLoginIssuer: `${server.url}/nhs-login`,
        clientId: DEFAULT_CONFIG.supplier.clientId,
        clientSecret: DEFAULT_CONFIG.supplier.clientSecret,
      }),
    );
    try {
      const upload = await uploadPack({
        recordsUrl: server.url,
        clientId,
        auth: { type: 'api-key', apiKey },
        pack: buildDefaultPack(new Date()),
        journal: ':memory:',
        sleep: async () => undefined,
      });
      expect(upload.outcome).toBe('complete');
      const r = await runCli(
        [
          'check',
          '--supplier',
          s.url,
          '--platform-url',
          server.url,
          '--records-client-id',
          clientId,
          '--report-dir',
          'out-platform',
        ],
        {
          cwd: dir,
          env: { PCA_HARNESS_LOG_LEVEL: 'silent', PCA_HARNESS_STATE_DIR: stateDir },
        },
      );
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, 'out-platform', 'report.json'), 'utf8')) as CheckReport;
      expect(report.target.nhsLogin).toBe(`${server.url}/nhs-login`);
      // Sharing the platform's state directory, check can sign the other-issuer token too.
      expect(report.checks.filter((c) => c.outcome === 'skip').map((c) => c.id)).toEqual([
        'GA-20',
        'DR-20',
        'TK-20',
        'RS-07',
      ]);
      expect(report.checks.filter((c) => c.family === 'RS' && c.outcome === 'pass').map((c) => c.id)).toEqual([
        'RS-01',
        'RS-02',
        'RS-03',
        'RS-04',
        'RS-05',
        'RS-06',
        'RS-08',
        'RS-09',
      ]);
      expect(report.contractPass).toEqual({
        recorded: true,
        clientId,
        where: `${server.url}/_harness/clients/${clientId}/contract-pass`,
      });
      const held = (await fetch(`${server.url}/_harness/clients/${clientId}`).then((x) => x.json())) as {
        contractPass?: { clientId?: string } | null;
      };
      expect(held.contractPass?.clientId).toBe(clientId);
    } finally {
      await s.close();
      await platform.stop();
    }
  });
});

describe('pca-harness check: usage and reachability', () => {
  it('exits 3 when the supplier is unreachable', async () => {
    const r = await cli(['--supplier', `http://127.0.0.1:${await freePort()}`, '--report-dir', 'out-down']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/Appointment/);
  });

  it.each([
    [[], '--supplier <url> is required'],
    [['--supplier', 'localhost:7171'], '--supplier must be an http(s) URL'],
    [['--supplier', 'http://127.0.0.1:1', '--only', 'GA-99'], 'unknown check id(s) GA-99'],
    [['--supplier', 'http://127.0.0.1:1', '--suites', 'schema,eva'], 'unknown suite(s) eva'],
    [
      ['--supplier', 'http://127.0.0.1:1', '--paths', 'appointments=Appointment'],
      'the path for appointments must start with "/"',
    ],
    [['--supplier', 'http://127.0.0.1:1', '--bearer', 't', '--client-secret', 's'], 'give either --bearer or'],
    [['--coverage'], '--coverage goes with --list'],
  ])('%j exits 2: %s', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('documents itself in --help, with examples', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const o of [
      '--supplier',
      '--paths',
      '--token-url',
      '--bearer',
      '--records-client-id',
      '--platform-url',
      '--pack',
      '--suites',
      '--only',
      '--include-throttle',
      '--report-dir',
      '--list',
      '--coverage',
    ])
      expect(r.stdout).toContain(o);
    expect(r.stdout).toContain('Examples:');
  });
});

describe('option parsing', () => {
  it('--paths maps names to resource types', () => {
    expect(parsePaths('appointments=/fhir/Appointment, tasks=/Task')).toEqual({
      Appointment: '/fhir/Appointment',
      Task: '/Task',
    });
    expect(() => parsePaths('questionnaires=/Task')).toThrow(
      /must be appointments=\/Path, documents=\/Path or tasks=\/Path/,
    );
  });

  it('--since takes an ISO date-time or a duration back from now', () => {
    const now = new Date('2025-03-10T12:00:00Z');
    expect(parseSince('15m', now)).toBe('2025-03-10T11:45:00.000Z');
    expect(parseSince('2025-03-10T09:00:00+01:00', now)).toBe('2025-03-10T08:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/is not a duration/);
  });

  it('--only takes ids and families, case-insensitively', () => {
    expect(parseOnly('ga-05, rs')).toEqual(['GA-05', 'RS']);
  });
});
