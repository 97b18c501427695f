/** docs/pact.md is what suppliers implement their state handlers from: it must name every state and interaction. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RECORD_SERVICE_INTERACTIONS, RECORD_SERVICE_STATES } from './record-service-contract';
import { ANOTHER_PATIENT, ID_TOKEN_PARAM, SUPPLIER_INTERACTIONS, SUPPLIER_STATE_NAMES } from './supplier-contract';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'pact.md'), 'utf8');

describe('docs/pact.md', () => {
  it.each([...SUPPLIER_INTERACTIONS, ...RECORD_SERVICE_INTERACTIONS].map((i) => [i.description]))(
    'describes the interaction "%s"',
    (description) => {
      expect(doc).toContain(`| ${description} |`);
    },
  );

  it.each([...SUPPLIER_STATE_NAMES, ...Object.values(RECORD_SERVICE_STATES)].map((s) => [s]))(
    'names the provider state "%s"',
    (state) => {
      expect(doc).toContain(`| ${state} |`);
    },
  );

  it("documents the state parameter for the other patient's token", () => {
    expect(doc).toContain(`${ID_TOKEN_PARAM}: ${ANOTHER_PATIENT}`);
  });
});
