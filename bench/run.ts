/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) in turn and
 * prints their figures. Benchmarks report numbers; they do not pass or fail on timing.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`no benchmarks match ${wanted.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const f of files) {
    process.stdout.write(`\n== ${f.replace(/\.bench\.ts$/, '')} ==\n`);
    const mod = (await import(path.join(__dirname, f))) as { default: () => Promise<void> };
    const started = performance.now();
    await mod.default();
    process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
