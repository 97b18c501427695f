/**
 * Fixture generation: patients per second for an in-memory pack, and for a pack streamed to a
 * temporary file (what `pca-harness fixtures generate` does), plus the default pack build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDefaultPack } from '../fixtures/default-pack';
import { generatePack, generatePatients, generatedPackHeader } from '../fixtures/generate';
import { serialisePack, writePackFile } from '../fixtures/write';

const ON = new Date(Date.UTC(2025, 5, 1));

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const out = fn();
  return [out, performance.now() - t];
}

export default async function fixturesBench(): Promise<void> {
  const [, defaultMs] = time(() => {
    for (let i = 0; i < 100; i++) buildDefaultPack(ON);
  });
  process.stdout.write(`default pack build: ${(defaultMs / 100).toFixed(2)} ms per pack\n`);

  const [pack, genMs] = time(() => generatePack({ count: 10_000, seed: 1, on: ON }));
  const [text, serMs] = time(() => serialisePack(pack));
  process.stdout.write(
    `generate 10,000 in memory: ${genMs.toFixed(0)} ms (${Math.round(10_000 / (genMs / 1000))} patients/s); serialise ${serMs.toFixed(0)} ms, ${(text.length / 1e6).toFixed(1)} MB\n`,
  );

  const dir = mkdtempSync(path.join(tmpdir(), 'pca-bench-fixtures-'));
  try {
    const opts = { count: 50_000, seed: 2, on: ON };
    const [written, streamMs] = time(() =>
      writePackFile(path.join(dir, 'pack.json'), generatedPackHeader(opts), generatePatients(opts)),
    );
    const rss = process.memoryUsage().rss / 1e6;
    process.stdout.write(
      `stream 50,000 to a file: ${streamMs.toFixed(0)} ms (${Math.round(written.patients / (streamMs / 1000))} patients/s), ${(written.bytes / 1e6).toFixed(0)} MB, rss ${rss.toFixed(0)} MB\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
