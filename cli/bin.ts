#!/usr/bin/env node
import { run } from './main';

// A reader that goes away early (`pca-harness supplier --help | head`) is not a failure: stop quietly,
// with the exit code so far, instead of dying with an EPIPE stack trace. Any other stream error stays fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`fatal: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
