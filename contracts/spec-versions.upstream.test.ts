/** `npm run test:upstream` (reads PCA_SPEC_DIR): the versions we cite are the specification's. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { specDir } from '../test-support/spec-files';
import { SPEC_VERSIONS } from './spec-versions';

describe('spec versions', () => {
  it('match the info.version of the specification files in PCA_SPEC_DIR', () => {
    const dir = specDir();
    for (const [name, version] of Object.entries(SPEC_VERSIONS)) {
      const text = readFileSync(path.join(dir, `patient-care-aggregator-api-${name}.yaml`), 'utf8');
      const declared = /^info:[\s\S]*?^\s+version:\s*"?([^"\n]+)"?/m.exec(text)?.[1]?.trim();
      expect(declared).toBe(version);
    }
  });
});
