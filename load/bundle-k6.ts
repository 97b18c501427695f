/**
 * `npm run load:bundle`: bundles each k6 script in load/k6/ into one plain JavaScript file in
 * dist/k6/, for k6 older than 0.57 (which cannot read TypeScript) and for shipping a single file
 * to k6-operator or Grafana Cloud k6. k6's own modules (k6, k6/*) stay imports: k6 provides them.
 *
 * The syntax is lowered to ES2015 (`??`, `?.`, `**`, object spread and the like are rewritten):
 * older k6 (e.g. 0.48) die with a SyntaxError on ES2020, while ES2015 with ES modules is what k6
 * has documented as its script language throughout. A test parses the bundle as ES2015 (acorn)
 * and `npm run test:k6` runs it under a real k6.
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

/** The syntax level of the bundle: what every k6 release parses. */
export const K6_BUNDLE_TARGET = 'es2015';

export const K6_BUNDLE_BANNER =
  '// pca-harness k6 script, bundled by `npm run load:bundle` (esbuild): ES2015 syntax, ES modules, k6 modules left as imports.\n' +
  '// For k6 releases that cannot parse newer syntax; k6 >= 0.57 also runs the TypeScript sources in load/k6/ as they are. See docs/load.md.';

export async function bundleK6Scripts(outdir: string, scripts = k6Scripts()): Promise<BuildResult> {
  return build({
    entryPoints: scripts,
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: K6_BUNDLE_TARGET,
    banner: { js: K6_BUNDLE_BANNER },
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
