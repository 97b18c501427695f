/**
 * `npm run test:browser`: the `*.browser.test.ts` suites, which render our HTML reports in a real headless
 * Chromium (a system package: `apt-get install chromium`, or CHROMIUM_BIN). CI installs it in .ci/run.
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, like jest.config.js
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports/jest', outputName: 'browser-junit.xml' }]],
};
