/**
 * What the consumer tests share: a PactV3 (writing the V4 specification) into a fresh temporary
 * directory, and the comparison of what they generated with the committed pact.
 *
 * Why a temporary directory: jest runs test files in parallel, and the provider verification tests
 * read the committed pacts. If the consumer tests rewrote contracts/pacts/ while a verification was
 * reading it, results would depend on timing. So consumer tests never write there during `npm test`;
 * their last test asserts that the normalised regenerated pact equals the committed file byte for
 * byte, and `npm run pact:update` (PCA_HARNESS_UPDATE_PACTS=1) rewrites the committed file when the
 * contract is meant to change.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PactV3, SpecificationVersion } from '@pact-foundation/pact';
import { pactFileName, pactsDir } from './contract';
import { readPact, renderPact } from './pact-file';

export const UPDATE_ENV = 'PCA_HARNESS_UPDATE_PACTS';

export interface ConsumerPactSession {
  pact: PactV3;
  dir: string;
  /** The regenerated pact, normalised. */
  generated(): string;
  /** The committed pact, or undefined when there is none yet. */
  committed(): string | undefined;
  committedPath: string;
  /** Writes the regenerated pact over the committed one. */
  update(): void;
  cleanup(): void;
}

export function consumerPactSession(consumer: string, provider: string, targetDir = pactsDir()): ConsumerPactSession {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-pact-'));
  const pact = new PactV3({
    consumer,
    provider,
    dir,
    spec: SpecificationVersion.SPECIFICATION_VERSION_V4,
    logLevel: 'error',
  });
  const file = pactFileName(consumer, provider);
  const committedPath = path.join(targetDir, file);
  const generated = () => renderPact(readPact(path.join(dir, file)));
  return {
    pact,
    dir,
    generated,
    committed: () => (existsSync(committedPath) ? readFileSync(committedPath, 'utf8') : undefined),
    committedPath,
    update: () => writeFileSync(committedPath, generated()),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function updateRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[UPDATE_ENV] === '1' || env[UPDATE_ENV] === 'true';
}

/** First differing line, for a failure message that says where the drift is. */
export function firstDifference(a: string, b: string): string | undefined {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i])
      return `line ${i + 1}:\n  committed:   ${lb[i] ?? '(end of file)'}\n  regenerated: ${la[i] ?? '(end of file)'}`;
  }
  return undefined;
}
