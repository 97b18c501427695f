/**
 * `npm run test:upstream`: the `*.upstream.test.ts` suites, which cross-check the project's schemas,
 * errata and cited versions against the official PCA specification files in PCA_SPEC_DIR. The global
 * setup stops the run with one clear message when PCA_SPEC_DIR is unset or holds no specification.
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, like jest.config.js
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.upstream.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/test-support/upstream-setup.ts',
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports/jest', outputName: 'upstream-junit.xml' }]],
};
