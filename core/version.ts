import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;
/** The harness version from package.json (works from sources and from dist/). */
export function version(): string {
  if (cached) return cached;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pca-harness' && pkg.version) return (cached = pkg.version);
    } catch {
      // try the next location
    }
  }
  return (cached = '0.0.0');
}
