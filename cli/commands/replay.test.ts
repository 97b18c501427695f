/**
 * `pca-harness replay` in process, as a user runs it: replay starts the mock platform itself on the
 * configured port, and the reference supplier trusts the NHS login issuer on that port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Appointment } from '../../core/fhir';
import { listen, type RunningServer } from '../../core/http';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { isEligible } from '../../fixtures/pack';
import { createSupplierApp } from '../../mocks/supplier/app';
import { runCli } from '../../test-support/cli';
import { parseClients } from './replay';

const TODAY = new Date();
const pack = buildDefaultPack(TODAY);
const eligible = pack.patients.filter((p) => isEligible(p, TODAY));
const CREDENTIALS = ['--client-id', 'pca-aggregator', '--client-secret', 'replay-cli-secret'];

let dir: string;
let servers: RunningServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-replay-'));
});

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

const nothing = (_req: IncomingMessage, res: ServerResponse) => {
  res.statusCode = 404;
  res.end();
};

async function freePort(): Promise<number> {
  const s = await listen(nothing);
  await s.close();
  return s.port;
}

/** The reference supplier, trusting the NHS login of a platform on `platformPort`. */
async function supplier(platformPort: number): Promise<RunningServer> {
  const s = await listen(
    createSupplierApp({
      pack,
      nhsLoginIssuer: `http://127.0.0.1:${platformPort}/nhs-login`,
      clientId: 'pca-aggregator',
      clientSecret: 'replay-cli-secret',
    }),
  );
  servers.push(s);
  return s;
}

function env(platformPort: number): NodeJS.ProcessEnv {
  return {
    PCA_HARNESS_LOG_LEVEL: 'silent',
    PCA_HARNESS_STATE_DIR: ':memory:',
    PCA_HARNESS_PLATFORM_PORT: String(platformPort),
    PCA_HARNESS_SUPPLIER_NHS_LOGIN_ISSUER: `http://127.0.0.1:${platformPort}/nhs-login`,
  };
}

describe('pca-harness replay', () => {
  it('--help lists the flags, the steps, the exit codes and examples', async () => {
    const r = await runCli(['replay', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--supplier',
      '--paths',
      '--token-url',
      '--client-id',
      '--client-secret',
      '--bearer',
      '--upload',
      '--clients',
      '--pack',
      '--rate',
      '--report-dir',
      '--platform-url',
      '--timeout',
      '--ignore',
      '--config',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toMatch(/Examples:\n\s+pca-harness replay --supplier/);
  });

  it('exits 2 for usage errors, before starting anything', async () => {
    expect((await runCli(['replay'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['replay', '--supplier', 'http://127.0.0.1:1', '--upload', 'both'], { cwd: dir })).code).toBe(
      2,
    );
    const rule = await runCli(['replay', '--supplier', 'http://127.0.0.1:1', '--ignore', '/entry[id=x'], {
      cwd: dir,
      env: env(0),
    });
    expect(rule.code).toBe(2);
    expect(rule.stderr).toContain('/entry[id=x');
    const timeout = await runCli(['replay', '--supplier', 'http://127.0.0.1:1', '--timeout', 'soon'], { cwd: dir });
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('"soon" is not a duration');
    const both = await runCli(['replay', '--supplier', 'http://127.0.0.1:1', '--bearer', 't', '--client-secret', 's'], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(() => parseClients('appointments=acme-a,letters=x')).toThrow(/"letters=x"/);
    expect(parseClients('appointments=acme-a, tasks=acme-t')).toEqual({ Appointment: 'acme-a', Task: 'acme-t' });
  });

  it('exits 3 when the supplier is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['replay', '--supplier', `http://127.0.0.1:${port}`, '--bearer', 'token'], {
      cwd: dir,
      env: env(0),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
  });

  it('replays the default pack against the reference supplier: every patient matches, exit 0, reports written', async () => {
    const port = await freePort();
    const s = await supplier(port);
    const r = await runCli(['replay', '--supplier', s.url, ...CREDENTIALS, '--rate', '200', '--report-dir', 'out'], {
      cwd: dir,
      env: env(port),
    });
    expect(r.stderr).toContain(`pulling: ${eligible.length * 3}/${eligible.length * 3} (100%)`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`platform   http://127.0.0.1:${port} (started by replay)`);
    expect(r.stdout).toContain(`EVA PASS: ${eligible.length * 3} comparisons`);
    expect(r.stdout).toContain('REPLAY PASS');
    const run = JSON.parse(readFileSync(path.join(dir, 'out', 'eva.json'), 'utf8')) as {
      totals: { match: number };
      appView: Array<{ status: number }>;
    };
    expect(run.totals.match).toBe(eligible.length * 3);
    expect(run.appView.map((a) => a.status)).toContain(403);
    // One case per pull, one per patient whose consumer view (the NHS App's answer) is compared, and one
    // producer:WF-NFR-02 case per endpoint pulled.
    const consumerViews = eligible.filter((p) => p.consumer?.expectedView).length;
    expect(readFileSync(path.join(dir, 'out', 'junit.xml'), 'utf8').match(/<testcase /g)).toHaveLength(
      eligible.length * 3 + consumerViews + 3,
    );
    expect(readFileSync(path.join(dir, 'out', 'eva.html'), 'utf8')).toContain('What the NHS App would see');
  });

  it('with a pack whose expected data differs from what the supplier serves in one field, reports exactly that difference (exit 1)', async () => {
    const altered = structuredClone(pack);
    const patient = altered.patients.find((p) => p.scenario === 'telephone consultation')!;
    const appointment = patient.expected.Appointment!.entry![0]!.resource as Appointment;
    const served = appointment.description;
    appointment.description = 'Cardiology (altered in the pack)';
    writeFileSync(path.join(dir, 'altered-pack.json'), JSON.stringify(altered));

    const port = await freePort();
    const s = await supplier(port);
    const r = await runCli(
      [
        'replay',
        '--supplier',
        s.url,
        ...CREDENTIALS,
        '--rate',
        '200',
        '--pack',
        'altered-pack.json',
        '--report-dir',
        'out',
      ],
      { cwd: dir, env: env(port) },
    );
    expect(r.code).toBe(1);
    const run = JSON.parse(readFileSync(path.join(dir, 'out', 'eva.json'), 'utf8')) as {
      totals: { mismatch: number; error: number; differences: number };
      verdicts: Array<{ verdict: string; resourceType: string; differences: Array<Record<string, unknown>> }>;
    };
    expect(run.totals).toMatchObject({ mismatch: 1, error: 0, differences: 1 });
    const failing = run.verdicts.filter((v) => v.verdict !== 'match');
    expect(failing).toHaveLength(1);
    expect(failing[0]!.resourceType).toBe('Appointment');
    expect(failing[0]!.differences[0]).toMatchObject({
      kind: 'changed',
      path: `/entry[id=${appointment.id}]/resource/description`,
      expected: 'Cardiology (altered in the pack)',
      actual: served,
    });
    expect(r.stdout).toContain('REPLAY FAIL');
  });

  it('falls back to a free port when the configured one is taken, and says which issuer the supplier must trust', async () => {
    const taken = await listen(nothing);
    servers.push(taken);
    const s = await supplier(taken.port);
    const r = await runCli(
      [
        'replay',
        '--supplier',
        s.url,
        ...CREDENTIALS,
        '--paths',
        'appointments=/Appointment',
        '--rate',
        '200',
        '--report-dir',
        'out',
      ],
      { cwd: dir, env: env(taken.port) },
    );
    expect(r.stderr).toContain(`WARNING: port ${taken.port} is in use, so the platform runs on http://127.0.0.1:`);
    const issuer = /must trust the NHS login issuer (http:\/\/127\.0\.0\.1:(\d+)\/nhs-login)/.exec(r.stderr);
    expect(issuer).not.toBeNull();
    expect(Number(issuer![2])).not.toBe(taken.port);
    // This supplier still trusts the issuer on the taken port, so it refuses every pull.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`0 match, 0 mismatch, ${eligible.length} error`);
  });

  it("--upload supplier: when the supplier's upload client registers nothing in time, prints the Record Service's explanation and exits 1", async () => {
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      JSON.stringify({
        platform: {
          clients: [
            { clientId: 'acme-appointments', resourceType: 'Appointment', apiKey: 'acme-appointments-key-0001' },
          ],
        },
      }),
    );
    const s = await supplier(0);
    const r = await runCli(
      [
        'replay',
        '--supplier',
        s.url,
        ...CREDENTIALS,
        '--paths',
        'appointments=/Appointment',
        '--upload',
        'supplier',
        '--timeout',
        '300ms',
        '--report-dir',
        'out',
      ],
      { cwd: dir, env: env(0) },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('note: waiting up to 0.3 s for your Record Service client to register');
    expect(r.stderr).toContain('as acme-appointments (Appointment)');
    expect(r.stdout).toContain('no registrations arrived');
    expect(r.stdout).toContain('What the Record Service saw during the run (pca-harness explain):');
    expect(r.stdout).toContain('No /records calls recorded');
    expect(r.stdout).toContain(`0 match, 0 mismatch, ${eligible.length} error`);
  });

  it('--upload supplier: names the config to add when no client is configured for a resource type (exit 2)', async () => {
    const s = await supplier(0);
    const r = await runCli(['replay', '--supplier', s.url, ...CREDENTIALS, '--upload', 'supplier'], {
      cwd: dir,
      env: env(0),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no Record Service client for Appointment is configured');
    expect(r.stderr).toContain('platform.clients');
  });
});
