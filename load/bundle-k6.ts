/**
 * `npm run load:bundle`: bundles each k6 script in load/k6/ into one plain JavaScript file in
 * dist/k6/, for k6 older than 0.57 (which cannot read TypeScript) and for shipping a single file
 * to k6-operator or Grafana Cloud k6. k6's own modules (k6, k6/*) stay imports: k6 provides them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildResult } from 'esbuild';

export const K6_SCRIPT_DIR = path.join(__dirname, 'k6');

/** The k6 scripts: every .ts directly in load/k6 (lib/ holds what they share). */
export function k6Scripts(dir = K6_SCRIPT_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function bundleK6Scripts(outdir: string, scripts = k6Scripts()): Promise<BuildResult> {
  return build({
    entryPoints: scripts,
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    // k6's JavaScript runtime (Sobek) is ES2020-and-a-bit; newer syntax is lowered.
    target: 'es2020',
    external: ['k6', 'k6/*'],
    sourcemap: false,
    logLevel: 'silent',
    metafile: true,
  });
}

if (require.main === module) {
  const outdir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist', 'k6'));
  bundleK6Scripts(outdir).then(
    (r) => {
      for (const out of Object.keys(r.metafile?.outputs ?? {})) process.stdout.write(`wrote ${out}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
