/**
 * The evidence a supplier hands over at assurance: the reports, the pack, the harness and spec
 * versions, seeds and configuration (secrets removed) in one archive, with a SHA-256 manifest that
 * `sha256sum -c MANIFEST.sha256` verifies after unpacking.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { redactedConfig, type HarnessConfig } from '../../core/config';
import { SPEC_VERSIONS } from '../../contracts/spec-versions';
import type { FixturePack } from '../../fixtures/pack';
import { serialisePack } from '../../fixtures/write';

export interface EvidenceInput {
  reportDir: string;
  out: string;
  config: HarnessConfig;
  pack: FixturePack;
  harnessVersion: string;
  /** Seeds and other run parameters worth recording (fault seeds, generator seeds, profiles). */
  parameters?: Record<string, string | number | boolean>;
  now?: Date;
}

export interface EvidenceManifest {
  createdAt: string;
  harnessVersion: string;
  specVersions: Record<string, string>;
  node: string;
  platform: string;
  parameters: Record<string, string | number | boolean>;
  pack: { name: string; generatedAt: string; patients: number; sha256: string };
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else if (entry.isFile()) out.push(path.relative(base, full));
  }
  return out.sort();
}

/** Builds the archive; returns the manifest it contains. */
export async function createEvidenceBundle(
  input: EvidenceInput,
): Promise<{ archive: string; manifest: EvidenceManifest }> {
  const reportDir = path.resolve(input.reportDir);
  const stat = await fs.stat(reportDir).catch(() => undefined);
  if (!stat?.isDirectory())
    throw new EvidenceError(
      `report directory ${reportDir} does not exist: run demo, check, replay, verify or load with --report-dir first`,
    );
  const reportFiles = (await listFiles(reportDir)).filter((f) => !f.endsWith('.tmp'));
  if (reportFiles.length === 0) throw new EvidenceError(`report directory ${reportDir} is empty`);

  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'pca-evidence-'));
  try {
    const root = path.join(staging, 'evidence');
    await fs.mkdir(path.join(root, 'reports'), { recursive: true });
    for (const f of reportFiles) {
      await fs.mkdir(path.dirname(path.join(root, 'reports', f)), { recursive: true });
      await fs.copyFile(path.join(reportDir, f), path.join(root, 'reports', f));
    }
    const packText = serialisePack(input.pack);
    await fs.writeFile(path.join(root, 'pack.json'), packText);
    await fs.writeFile(path.join(root, 'config.json'), `${JSON.stringify(redactedConfig(input.config), null, 2)}\n`);

    const files: EvidenceManifest['files'] = [];
    for (const f of await listFiles(root)) {
      const data = await fs.readFile(path.join(root, f));
      files.push({ path: f.split(path.sep).join('/'), bytes: data.length, sha256: sha256(data) });
    }
    const manifest: EvidenceManifest = {
      createdAt: (input.now ?? new Date()).toISOString(),
      harnessVersion: input.harnessVersion,
      specVersions: { ...SPEC_VERSIONS },
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      parameters: input.parameters ?? {},
      pack: {
        name: input.pack.name,
        generatedAt: input.pack.generatedAt,
        patients: input.pack.patients.length,
        sha256: sha256(packText),
      },
      files,
    };
    await fs.writeFile(path.join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.writeFile(path.join(root, 'MANIFEST.sha256'), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));

    const archive = path.resolve(input.out);
    await fs.mkdir(path.dirname(archive), { recursive: true });
    await tar.c({ gzip: true, file: archive, cwd: staging, portable: true }, ['evidence']);
    return { archive, manifest };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
