/**
 * No Docker engine runs on our machines, so docker-compose.yml, the Dockerfile and the example CI
 * pipelines are validated statically: every command they run is a real CLI command with real flags,
 * and ports, volumes and profiles are consistent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { optionsOf, runCli } from '../test-support/cli';

const root = path.join(__dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = YAML.parse(read('docker-compose.yml')) as Compose;
const harnessServices = Object.entries(compose.services).filter(([, s]) => s.image === 'pca-harness:local');

/** Splits `--flag value` pairs out of an argument list. */
function flags(args: string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
}

describe('docker-compose.yml', () => {
  it('has the services and profiles the README promises', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['platform', 'supplier', 'k6', 'pact-broker']),
    );
    expect(compose.services.platform!.profiles).toBeUndefined();
    expect(compose.services.supplier!.profiles).toEqual(['demo']);
    expect(compose.services.k6!.profiles).toEqual(['load']);
    expect(compose.services['pact-broker']!.profiles).toEqual(['broker']);
    expect(compose.services.k6!.image).toMatch(/^grafana\/k6/);
  });

  it.each(harnessServices)('service %s runs a real CLI command with real flags', async (_name, svc) => {
    const [command, ...args] = svc.command!;
    const known = await optionsOf([command!]);
    for (const f of flags(args)) expect(known).toContain(f);
  });

  it('publishes the same port each harness service listens on, on loopback only, and health-checks it', () => {
    for (const [, svc] of harnessServices) {
      const port = svc.command![svc.command!.indexOf('--port') + 1];
      expect(svc.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      expect(svc.healthcheck!.test.join(' ')).toContain(`:${port}/_harness/health`);
    }
  });

  it('declares every named volume it mounts and depends only on services that exist', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(declared).toContain(source);
        else expect(() => readFileSync(path.join(root, source, '.'))).toThrow(/EISDIR/); // bind mounts point at real folders
      }
      for (const dep of Object.keys(svc.depends_on ?? {})) {
        expect(compose.services).toHaveProperty(dep);
        if (svc.depends_on![dep]!.condition === 'service_healthy')
          expect(compose.services[dep]!.healthcheck).toBeDefined();
      }
    }
  });

  it('points the k6 service at a load script that exists', () => {
    const script = compose.services.k6!.command!.find((a) => a.endsWith('.ts'))!;
    expect(compose.services.k6!.volumes).toContain('.:/work:ro');
    expect(script.startsWith('/work/load/k6/')).toBe(true);
    expect(() => read(script.replace('/work/', ''))).not.toThrow();
  });

  it('gives the supplier the platform issuer it can reach inside the network', () => {
    const cmd = compose.services.supplier!.command!;
    expect(cmd[cmd.indexOf('--nhs-login-issuer') + 1]).toBe(
      `${compose.services.platform!.environment!.PCA_HARNESS_PLATFORM_PUBLIC_URL}/nhs-login`,
    );
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .map((l) => l.trim());
  const stages = lines.filter((l) => l.startsWith('FROM '));

  it('is multi-stage and runs as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const lastFrom = lines.lastIndexOf(stages[stages.length - 1]!);
    const finalStage = lines.slice(lastFrom);
    expect(finalStage.some((l) => /^USER (?!root)\w+/.test(l))).toBe(true);
    expect(finalStage.join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('copies only paths that exist and runs a real command by default', async () => {
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const sources = l
        .replace(/^COPY\s+/, '')
        .split(/\s+/)
        .slice(0, -1);
      for (const s of sources) expect(() => readFileSync(path.join(root, s))).not.toThrow(/ENOENT/);
    }
    const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    const known = await optionsOf([cmd[0]!]);
    for (const f of flags(cmd.slice(1))) expect(known).toContain(f);
  });
});

describe('example CI pipelines', () => {
  const files = ['examples/ci/github-actions.yml', 'examples/ci/azure-pipelines.yml'];

  it.each(files)('%s parses and runs only real commands and flags', async (file) => {
    const text = read(file);
    expect(() => YAML.parse(text)).not.toThrow();
    const invocations = [
      ...text
        .replace(/\n\s+(?=--)/g, ' ')
        .matchAll(/pca-harness ([a-z]+)((?: +(?:--[a-z0-9-]+|"[^"]*"|'[^']*'|[^\s-][^\s]*))*)/g),
    ];
    expect(invocations.length).toBeGreaterThanOrEqual(3);
    for (const [, command, rest] of invocations) {
      if (command === 'serve' || command === 'check' || command === 'verify' || command === 'load') {
        const known = await optionsOf([command]);
        for (const f of (rest ?? '').split(/\s+/).filter((a) => a.startsWith('--'))) expect(known).toContain(f);
      }
    }
    expect(text).toMatch(/junit\.xml/);
  });

  it('every command the examples name exists', async () => {
    for (const c of ['serve', 'check', 'verify', 'load']) expect((await runCli([c, '--help'])).code).toBe(0);
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });
});
