import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { listen, type RunningServer } from '../../core/http';
import { generateSigningKey, KeyRing } from '../../core/keys';
import { isEligible } from '../../fixtures/pack';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { createNhsLoginApp, NHS_LOGIN_MOUNT } from '../../mocks/nhs-login/app';
import { FAULTS } from '../../mocks/supplier/faults';
import { runCli } from '../../test-support/cli';
import type { CliIo } from '../common';
import { runSupplier, UPLOAD_API_KEY_ENV } from './supplier';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-supplier-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PCA_HARNESS_LOG_LEVEL: 'silent',
  ...extra,
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Record Service stand-in that acknowledges everything and remembers what it got. */
async function recordsTap(): Promise<{
  server: RunningServer;
  bodies: Array<{ clientId: string; nhsNumbers: string[] }>;
  auth: string[];
}> {
  const bodies: Array<{ clientId: string; nhsNumbers: string[] }> = [];
  const auth: string[] = [];
  const app = express();
  app.use(express.json());
  app.post('/records', (req, res) => {
    bodies.push(req.body as { clientId: string; nhsNumbers: string[] });
    auth.push(req.get('authorization') ?? '');
    res.json({ result: 'success' });
  });
  return { server: await listen(app), bodies, auth };
}

describe('pca-harness supplier', () => {
  it('--list-faults prints every fault with the requirement it violates', async () => {
    const r = await runCli(['supplier', '--list-faults'], { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    for (const f of FAULTS) {
      expect(r.stdout).toContain(f.name);
      expect(r.stdout).toContain(`violates: ${f.requirement}`);
    }
  });

  it('--help lists the flags and examples, upload --help its own and the shared ones', async () => {
    const r = await runCli(['supplier', '--help'], { env: env() });
    expect(r.code).toBe(0);
    for (const flag of [
      '--pack',
      '--port',
      '--fault',
      '--nhs-login-issuer',
      '--latency',
      '--rate-limit',
      '--deadline',
      '--list-faults',
      '--config',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/Examples:\n\s+pca-harness supplier/);
    const u = await runCli(['supplier', 'upload', '--help'], { env: env() });
    expect(u.code).toBe(0);
    for (const flag of [
      '--records-url',
      '--client-id',
      '--api-key',
      '--token-url',
      '--key',
      '--profile',
      '--journal',
      '--report-dir',
      '--max-attempts',
    ])
      expect(u.stdout).toContain(flag);
    expect(u.stdout).toContain('--pack, --fault and --config (options of "supplier") apply here too');
    expect(u.stdout).not.toContain('--rate-limit');
  });

  it.each<[string, string[], RegExp]>([
    [
      'an unknown fault',
      ['supplier', '--fault', 'no-such-fault'],
      /unknown fault "no-such-fault"; one of: no-correlation-echo/,
    ],
    [
      'an upload fault on the server',
      ['supplier', '--fault', 'sends-under16', '--port', '0'],
      /breaks the upload client; use it with "pca-harness supplier upload --fault sends-under16"/,
    ],
    ['a negative latency', ['supplier', '--latency', '-5', '--port', '0'], /--latency must be 0 or more/],
    ['a rate limit of 0', ['supplier', '--rate-limit', '0', '--port', '0'], /--rate-limit must be at least 1/],
    [
      'a bad issuer',
      ['supplier', '--nhs-login-issuer', 'nhs-login', '--port', '0'],
      /--nhs-login-issuer must be an http\(s\) URL/,
    ],
    [
      'a missing pack',
      ['supplier', '--pack', 'missing.json', '--port', '0'],
      /cannot read fixture pack .*missing\.json/,
    ],
    [
      'upload without --records-url',
      ['supplier', 'upload', '--client-id', 'pep-01', '--api-key', 'k'],
      /required option '--records-url <url>' not specified/,
    ],
    [
      'upload without credentials',
      ['supplier', 'upload', '--records-url', 'http://127.0.0.1:9/records', '--client-id', 'pep-01'],
      /credentials are required/,
    ],
    [
      'upload with both kinds of credentials',
      [
        'supplier',
        'upload',
        '--records-url',
        'http://127.0.0.1:9/records',
        '--client-id',
        'pep-01',
        '--api-key',
        'k',
        '--token-url',
        'http://x/oauth2/token',
        '--key',
        'k.json',
      ],
      /not both/,
    ],
    [
      'upload with a server option',
      [
        'supplier',
        'upload',
        '--records-url',
        'http://127.0.0.1:9/records',
        '--client-id',
        'pep-01',
        '--api-key',
        'k',
        '--port',
        '9',
      ],
      /--port only apply to the server/,
    ],
    [
      'upload with an api fault',
      [
        'supplier',
        'upload',
        '--records-url',
        'http://127.0.0.1:9/records',
        '--client-id',
        'pep-01',
        '--api-key',
        'k',
        '--fault',
        'slow',
      ],
      /breaks the API/,
    ],
    [
      'upload with a records URL that is not one',
      ['supplier', 'upload', '--records-url', 'records', '--client-id', 'pep-01', '--api-key', 'k'],
      /--records-url must be an http\(s\) URL/,
    ],
    [
      'upload with an unreadable key',
      [
        'supplier',
        'upload',
        '--records-url',
        'http://127.0.0.1:9/records',
        '--client-id',
        'pep-01',
        '--token-url',
        'http://127.0.0.1:9/oauth2/token',
        '--key',
        'nope.json',
      ],
      /--key nope\.json: cannot read it \(ENOENT\)/,
    ],
  ])('exits 2 on %s', async (_label, args, message) => {
    const r = await runCli(args, { cwd: dir, env: env() });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('exits 2 when the port is taken', async () => {
    const taken = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.end();
    });
    try {
      const r = await runCli(['supplier', '--port', String(taken.port)], { cwd: dir, env: env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/already in use/);
    } finally {
      await taken.close();
    }
  });

  it('serves until stopped, with a banner naming its endpoints, limits and fault', async () => {
    const keyRing = new KeyRing();
    let issuer = '';
    const nhsLogin = await listen(createNhsLoginApp({ keyRing, issuer: () => issuer }));
    issuer = `${nhsLogin.url}${NHS_LOGIN_MOUNT}`;
    let out = '';
    let err = '';
    const io: CliIo = {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += `${s}\n`;
      },
      isTty: false,
      env: env(),
      cwd: dir,
    };
    const stop = new AbortController();
    try {
      const serving = runSupplier(
        io,
        { port: 0, nhsLoginIssuer: issuer, fault: 'no-correlation-echo', latency: 5, rateLimit: 30 },
        stop.signal,
      );
      await until(() => out.includes('Press Ctrl+C'), 'the banner');
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      expect(out).toContain(`GET  ${base}/Appointment?patient:identifier=`);
      expect(out).toContain(`POST ${base}/oauth2/token`);
      expect(out).toContain(`NHSD-ID-Token issuer: ${issuer}`);
      expect(out).toMatch(/limits: 30 requests\/s per endpoint, 504 after 9000 ms, 5 ms added latency/);
      expect(out).toMatch(/fault: no-correlation-echo \(violates .*X-Correlation-ID/);
      expect(out).not.toContain('pca-harness-local-secret');
      const res = await fetch(`${base}/Task`, { headers: { 'X-Correlation-ID': 'c-1' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-correlation-id')).toBeNull();
      stop.abort();
      await serving;
      expect(err).toContain('stopped');
      await expect(fetch(`${base}/Task`)).rejects.toThrow();
    } finally {
      stop.abort();
      await nhsLogin.close();
    }
  });
});

describe('pca-harness supplier upload', () => {
  const pack = buildDefaultPack(new Date());
  const eligible = pack.patients
    .filter((p) => isEligible(p, new Date()))
    .map((p) => p.nhsNumber)
    .sort();

  it('sends the eligible patients, prints totals, writes the journal and a report, and exits 0', async () => {
    const tap = await recordsTap();
    try {
      const r = await runCli(
        [
          'supplier',
          'upload',
          '--records-url',
          `${tap.server.url}/records`,
          '--client-id',
          'pep-01',
          '--journal',
          'j.sqlite',
          '--report-dir',
          'out',
        ],
        { cwd: dir, env: env({ [UPLOAD_API_KEY_ENV]: 'key-from-env-01' }) },
      );
      expect(r.stderr).toContain('batch 1/1: acknowledged');
      expect(r.code).toBe(0);
      expect(tap.bodies.flatMap((b) => b.nhsNumbers).sort()).toEqual(eligible);
      expect(tap.auth).toEqual(['Bearer key-from-env-01']);
      expect(r.stdout).toMatch(/: complete\n/);
      expect(r.stdout).toMatch(new RegExp(`eligible today\\s+${eligible.length}`));
      expect(r.stdout).toMatch(/not sent \(ineligible\)\s+under-16 2, sensitive 1, excluded-by-trust 1/);
      expect(r.stdout).toMatch(
        new RegExp(`acknowledged in total\\s+${eligible.length} distinct NHS numbers for pep-01`),
      );
      expect(existsSync(path.join(dir, 'j.sqlite'))).toBe(true);
      const report = JSON.parse(readFileSync(path.join(dir, 'out', 'upload-report.json'), 'utf8')) as {
        outcome: string;
        acknowledged: number;
      };
      expect(report).toMatchObject({ outcome: 'complete', acknowledged: eligible.length });
      expect(r.stdout + r.stderr).not.toContain('key-from-env-01');

      const again = await runCli(
        [
          'supplier',
          'upload',
          '--records-url',
          `${tap.server.url}/records`,
          '--client-id',
          'pep-01',
          '--journal',
          'j.sqlite',
          '--api-key',
          'key-from-env-01',
        ],
        { cwd: dir, env: env() },
      );
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`acknowledged before\\s+${eligible.length}`));
      expect(tap.bodies).toHaveLength(1);
    } finally {
      await tap.server.close();
    }
  });

  it('signs client assertions with the --key file', async () => {
    const tap = await recordsTap();
    const tokens = express();
    tokens.use(express.urlencoded({ extended: false }));
    tokens.post('/oauth2/token', (req, res) => {
      res.json({ access_token: req.body.client_assertion ? 'at-from-assertion' : 'none', expires_in: '599' });
    });
    const tokenServer = await listen(tokens);
    const { privateJwk } = await generateSigningKey();
    writeFileSync(path.join(dir, 'key.json'), JSON.stringify({ keys: [privateJwk] }));
    try {
      const r = await runCli(
        [
          'supplier',
          'upload',
          '--records-url',
          `${tap.server.url}/records`,
          '--client-id',
          'pep-01',
          '--token-url',
          `${tokenServer.url}/oauth2/token`,
          '--key',
          'key.json',
          '--journal',
          'j.sqlite',
        ],
        { cwd: dir, env: env() },
      );
      expect(r.code).toBe(0);
      expect(tap.auth).toEqual(['Bearer at-from-assertion']);
    } finally {
      await tap.server.close();
      await tokenServer.close();
    }
  });

  it('exits 3 when the Record Service cannot be reached', async () => {
    const tap = await recordsTap();
    const url = `${tap.server.url}/records`;
    await tap.server.close();
    const r = await runCli(
      [
        'supplier',
        'upload',
        '--records-url',
        url,
        '--client-id',
        'pep-01',
        '--api-key',
        'k-123',
        '--journal',
        'j.sqlite',
        '--max-attempts',
        '1',
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/: unreachable\n/);
    expect(r.stderr).toMatch(/batch 1\/1: no answer, not retried further/);
  });

  it('applies a --fault given before the subcommand', async () => {
    const tap = await recordsTap();
    try {
      const r = await runCli(
        [
          'supplier',
          '--fault',
          'sends-under16',
          'upload',
          '--records-url',
          `${tap.server.url}/records`,
          '--client-id',
          'pep-01',
          '--api-key',
          'k-123',
          '--journal',
          'j.sqlite',
        ],
        { cwd: dir, env: env() },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('fault sends-under16');
      expect(tap.bodies[0]!.nhsNumbers.length).toBe(eligible.length + 2);
    } finally {
      await tap.server.close();
    }
  });
});
