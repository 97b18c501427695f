/**
 * `npm test`'s jest run: hermetic (nothing outside the repository and its packages) and
 * timing-independent. The cross-check against the official specification files lives in
 * `*.upstream.test.ts` and runs with `npm run test:upstream` (jest.upstream.config.js); what needs a
 * system Chromium is `*.browser.test.ts`, run by `npm run test:browser` (jest.browser.config.js).
 * Reports land in reports/jest/ (JUnit) and coverage/ (summary), both git-ignored.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '/load/k6/',
    '\\.upstream\\.test\\.ts$',
    '\\.browser\\.test\\.ts$',
  ],
  // Type-checking is `npm run typecheck`'s job; jest only transpiles, file by file, which is fast.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  maxWorkers: 2,
  testTimeout: 30000,
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports/jest', outputName: 'junit.xml' }]],
  // Used with --coverage (as `npm test` runs jest): our own code only, summarised.
  coverageProvider: 'v8',
  collectCoverageFrom: [
    '{core,fixtures,contracts,mocks,suites,load,cli}/**/*.ts',
    'index.ts',
    '!**/*.test.ts',
    '!contracts/test-helpers.ts',
    '!load/k6/**',
  ],
  coverageDirectory: 'coverage',
  coverageReporters: ['json-summary', 'text-summary'],
};
