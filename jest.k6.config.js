/**
 * `npm run test:k6`: the k6 scripts under a real k6 (K6_BIN, else k6 on PATH), test/k6/*.k6.ts.
 * Kept apart from `npm test`, which runs where there is no k6.
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, like jest.config.js
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/k6/**/*.k6.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports/jest', outputName: 'k6-junit.xml' }]],
  // One k6 at a time: each holds an arrival rate, and two would measure each other.
  maxWorkers: 1,
  testTimeout: 120000,
};
