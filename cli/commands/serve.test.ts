import { type ChildProcess, spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listen } from '../../core/http';
import { runCli } from '../../test-support/cli';
import type { CliIo } from '../common';
import { runServe } from './serve';

const root = path.join(__dirname, '..', '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-serve-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function bufferIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += `${s}\n`;
    },
    isTty: false,
    env: { PCA_HARNESS_LOG_LEVEL: 'silent' },
    cwd: dir,
    stdout: () => out,
    stderr: () => err,
  };
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pca-harness serve', () => {
  it('--help lists the flags, the endpoints and examples', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--port',
      '--host',
      '--mode',
      '--profile',
      '--pack',
      '--config',
      '--state-dir',
      '--public-url',
      '--pull-rate',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/Examples:\n\s+pca-harness serve/);
    expect(r.stdout).toContain('/aggregator/events');
  });

  it('exits 2 on a bad flag value, a missing pack or an invalid config', async () => {
    expect((await runCli(['serve', '--mode', 'lenient'], { cwd: dir })).code).toBe(2);
    const pack = await runCli(['serve', '--port', '0', '--pack', 'missing.json', '--state-dir', dir], { cwd: dir });
    expect(pack.code).toBe(2);
    expect(pack.stderr).toMatch(/cannot read fixture pack .*missing\.json/);
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ platform: { pullRate: -1 } }));
    const cfg = await runCli(['serve', '--config', 'bad.json'], { cwd: dir });
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toMatch(/platform\.pullRate/);
  });

  it('exits 2 with a clear message when the port is taken', async () => {
    const taken = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.end();
    });
    try {
      const r = await runCli(['serve', '--port', String(taken.port), '--state-dir', dir], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${taken.port} is already in use`));
    } finally {
      await taken.close();
    }
  });

  it('prints a banner with every URL, serves until stopped, and keeps its signing keys in the state dir', async () => {
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      JSON.stringify({
        platform: {
          clients: [
            {
              clientId: 'acme-portal',
              resourceType: 'Appointment',
              apiKey: 'acme-api-key-1',
              endpoint: { url: 'http://127.0.0.1:9/', auth: { type: 'static', token: 'x' } },
            },
          ],
        },
      }),
    );
    const jwksKids: string[] = [];
    for (let run = 0; run < 2; run++) {
      const io = bufferIo();
      const stop = new AbortController();
      const serving = runServe(io, { port: 0, stateDir: 'state' }, stop.signal);
      await until(() => io.stdout().includes('Press Ctrl+C'), 'the banner');
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.stdout())![1]!;
      for (const url of [
        `${base}/nhs-login`,
        `${base}/nhs-login/.well-known/jwks.json`,
        `${base}/oauth2/token`,
        `POST ${base}/records`,
        `GET  ${base}/aggregator/events`,
        `${base}/_harness/health`,
        `${base}/_harness/config`,
        `${base}/_harness/pulls`,
      ]) {
        expect(io.stdout()).toContain(url);
      }
      expect(io.stdout()).toMatch(
        /acme-portal\s+Appointment\s+http:\/\/127\.0\.0\.1:9\/Appointment \(static\)\s+pulls enabled/,
      );
      const health = await fetch(`${base}/_harness/health`);
      expect(health.status).toBe(200);
      const jwks = (await (await fetch(`${base}/nhs-login/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      jwksKids.push(jwks.keys[0]!.kid);
      stop.abort();
      await serving;
      expect(io.stderr()).toContain('stopped');
      await expect(fetch(`${base}/_harness/health`)).rejects.toThrow();
    }
    expect(jwksKids[1]).toBe(jwksKids[0]);
    expect(existsSync(path.join(dir, 'state', 'keys', 'nhs-login.jwk.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'state', 'record-service.sqlite'))).toBe(true);
    expect(existsSync(path.join(dir, 'state', 'aggregator.sqlite'))).toBe(true);
  });

  it('exits 2 naming the lock file when another serve owns the state dir', async () => {
    const io = bufferIo();
    const stop = new AbortController();
    const serving = runServe(io, { port: 0, stateDir: 'state' }, stop.signal);
    try {
      await until(() => io.stdout().includes('Press Ctrl+C'), 'the banner');
      const second = await runCli(['serve', '--port', '0', '--state-dir', 'state'], { cwd: dir });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(path.join(dir, 'state', 'pca-harness.lock'));
      expect(second.stderr).toContain(`pid ${process.pid}`);
    } finally {
      stop.abort();
      await serving;
    }
    expect(existsSync(path.join(dir, 'state', 'pca-harness.lock'))).toBe(false);
  });

  it('bound beyond loopback: shows the real bind address, warns, and prints the new admin token once', async () => {
    const banners: string[] = [];
    for (let run = 0; run < 2; run++) {
      const io = bufferIo();
      const stop = new AbortController();
      const serving = runServe(io, { port: 0, host: '0.0.0.0', stateDir: 'state' }, stop.signal);
      await until(() => io.stdout().includes('Press Ctrl+C'), 'the banner');
      banners.push(io.stdout());
      expect(io.stdout()).toMatch(/bound to 0\.0\.0\.0:\d+ \(all interfaces\)/);
      expect(io.stderr()).toMatch(/warning: listening on 0\.0\.0\.0:\d+ \(all interfaces\), beyond loopback/);
      expect(io.stdout()).toContain(path.join(dir, 'state', 'admin-token'));
      stop.abort();
      await serving;
    }
    const token = readFileSync(path.join(dir, 'state', 'admin-token'), 'utf8').trim();
    expect(banners[0]).toContain(`Admin token (shown once): ${token}`);
    expect(banners[1]).not.toContain(token);
  });

  it('on loopback neither warns nor needs a token', async () => {
    const io = bufferIo();
    const stop = new AbortController();
    const serving = runServe(io, { port: 0, stateDir: 'state' }, stop.signal);
    await until(() => io.stdout().includes('Press Ctrl+C'), 'the banner');
    stop.abort();
    await serving;
    expect(io.stderr()).not.toContain('warning');
    expect(io.stdout()).not.toContain('bound to');
    expect(existsSync(path.join(dir, 'state', 'admin-token'))).toBe(false);
  });

  describe('as a process', () => {
    let child: ChildProcess | undefined;

    afterEach(() => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
    });

    it.each(['SIGTERM', 'SIGINT'] as const)(
      'shuts down gracefully on %s and exits 0',
      async (signal) => {
        let out = '';
        let err = '';
        child = spawn(
          process.execPath,
          // The built CLI, as a user runs it (npm test builds first): no tsx parent process in between,
          // which relays signals on its own schedule and answers a slow shutdown with its own exit code.
          [path.join(root, 'bin', 'pca-harness.js'), 'serve', '--port', '0', '--state-dir', dir],
          {
            cwd: dir,
            env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
        });
        child.stderr!.on('data', (b: Buffer) => {
          err += b.toString();
        });
        const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
        await until(() => out.includes('Press Ctrl+C') || child!.exitCode !== null, 'the banner', 25_000);
        expect(out).toContain('mock PCA platform listening on http://127.0.0.1:');
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(err).toContain(`received ${signal}`);
        expect(err).toContain('stopped');
      },
      40_000,
    );
  });
});
