/**
 * `npm run test:k6`: the k6 scripts under a real k6 (K6_BIN, else k6 on PATH). Kept apart from
 * `npm test`, which runs where there is no k6; the test files are test/k6/*.k6.ts.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/test/k6/**/*.k6.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // As in jest.config.js: type-checking is `npm run typecheck`'s job.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  // One k6 at a time: each holds an arrival rate, and two would measure each other.
  maxWorkers: 1,
  testTimeout: 120000,
};
