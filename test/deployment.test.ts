/**
 * No Docker engine runs on our machines, so docker-compose.yml, the Dockerfile and the example CI
 * pipelines are validated statically: every command they run is a real CLI command with real flags,
 * and ports, volumes and profiles are consistent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { validateAgainst, formatDiagnostic } from '../core/schema';
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
  user?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = YAML.parse(read('docker-compose.yml')) as Compose;
const harnessServices = Object.entries(compose.services).filter(([, s]) => s.image === 'pca-harness:local');

/**
 * The Compose Specification's JSON schema (Apache-2.0, github.com/compose-spec/compose-spec), as the
 * dclint package ships it; package exports do not list the file, so it is read beside package.json.
 * It is draft-07, ajv's default; its `$schema` spells the draft's URI in a way ajv does not know, so it goes.
 */
const COMPOSE_SCHEMA = JSON.parse(
  readFileSync(
    path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json'),
    'utf8',
  ),
) as Record<string, unknown>;
delete COMPOSE_SCHEMA.$schema;

/** The words of a command before its first flag: `fixtures default --out x` -> `fixtures default`. */
function commandWords(args: string[]): string[] {
  const i = args.findIndex((a) => a.startsWith('--'));
  return i === -1 ? args : args.slice(0, i);
}

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
    expect(compose.services.supplier!.profiles).toEqual(['demo', 'load']);
    expect(compose.services.k6!.profiles).toEqual(['load']);
    expect(compose.services['pact-broker']!.profiles).toEqual(['broker']);
    expect(compose.services.k6!.image).toMatch(/^grafana\/k6/);
  });

  it('is a valid Compose file by the Compose Specification schema', () => {
    const verdict = validateAgainst(COMPOSE_SCHEMA, compose);
    expect(verdict.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(verdict.valid).toBe(true);
  });

  it('the schema check catches what docker compose would refuse', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.k6!.depends_on = { 'load-pack': { condition: 'service_finished' } };
    broken.services.k6!.volumes = 'load-pack:/pack';
    const messages = validateAgainst(COMPOSE_SCHEMA, broken).diagnostics.map(formatDiagnostic);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/services\/k6\/depends_on\/load-pack\/condition: must be one of/),
        expect.stringMatching(/^\/services\/k6\/volumes: must be of type array/),
      ]),
    );
  });

  it.each(harnessServices)('service %s runs a real CLI command with real flags', async (_name, svc) => {
    const words = commandWords(svc.command!);
    const known = await optionsOf(words);
    for (const f of flags(svc.command!.slice(words.length))) expect(known).toContain(f);
  });

  it('publishes the same port each harness service listens on, on loopback only, and health-checks it', () => {
    for (const [, svc] of harnessServices.filter(([, s]) => s.command!.includes('--port'))) {
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

  it('gives k6 the pack the supplier serves: written by the one-shot load-pack service to a volume k6 reads', () => {
    const k6 = compose.services.k6!;
    const pack = compose.services['load-pack']!;
    expect(pack.image).toBe('pca-harness:local');
    // The supplier serves the embedded default pack of the day (no --pack); load-pack writes that same pack.
    expect(compose.services.supplier!.command).not.toContain('--pack');
    expect(commandWords(pack.command!)).toEqual(['fixtures', 'default']);
    const out = pack.command![pack.command!.indexOf('--out') + 1]!;
    const mountOf = (svc: ComposeService, file: string) =>
      (svc.volumes ?? []).map((v) => v.split(':')).find(([, target]) => file.startsWith(`${target}/`));
    const written = mountOf(pack, out);
    const read = mountOf(k6, k6.environment!.PACK!);
    expect(written?.[0]).toBe('load-pack');
    expect(read?.[0]).toBe('load-pack');
    expect(k6.environment!.PACK!.slice(read![1]!.length)).toBe(out.slice(written![1]!.length));
    expect(k6.depends_on!['load-pack']).toEqual({ condition: 'service_completed_successfully' });
    for (const dep of ['platform', 'supplier']) expect(k6.depends_on![dep]).toEqual({ condition: 'service_healthy' });
    // `--profile load` alone brings up everything k6 needs.
    for (const dep of Object.keys(k6.depends_on!)) {
      const profiles = compose.services[dep]!.profiles;
      expect([dep, profiles === undefined || profiles.includes('load')]).toEqual([dep, true]);
    }
  });

  it('lets k6 write its reports: REPORT_DIR is a volume that load-pack gave to the user k6 runs as', () => {
    const k6 = compose.services.k6!;
    const reports = k6.environment!.REPORT_DIR!;
    const volume = (k6.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === reports);
    expect(volume?.[0]).toBe('load-reports');
    expect(volume?.[2]).toBeUndefined(); // not read-only
    expect(compose.services['load-pack']!.volumes).toContain(`load-reports:${reports}`);
    // node:20 images' "node" user, whom the Dockerfile gives /pack and /reports.
    expect(k6.user).toBe('1000:1000');
    expect(read('Dockerfile')).toMatch(
      /chown -R node:node [^\n]*\/reports[^\n]*\/pack|chown -R node:node [^\n]*\/pack[^\n]*\/reports/,
    );
    // A pinned k6 that runs TypeScript (>= 0.57).
    expect(k6.image).toMatch(/^grafana\/k6:(\d+)\.(\d+)\.(\d+)$/);
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
