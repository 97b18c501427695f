import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SPEC_VERSIONS } from './spec-versions';

describe('spec versions', () => {
  it('match the info.version of the specifications in the shared reference copy', () => {
    const dir = process.env.PCA_SPEC_DIR ?? path.resolve(__dirname, '..', '..', 'shared', 'reference', 'pca-spec');
    for (const [name, version] of Object.entries(SPEC_VERSIONS)) {
      const text = readFileSync(path.join(dir, `patient-care-aggregator-api-${name}.yaml`), 'utf8');
      const declared = /^info:[\s\S]*?^\s+version:\s*"?([^"\n]+)"?/m.exec(text)?.[1]?.trim();
      expect(declared).toBe(version);
    }
  });
});
