/**
 * pca-harness as a library: `import { ... } from 'pca-harness'` (CommonJS or ESM). Start the mock
 * platform and the reference supplier, run the suites against a supplier, and assert on typed
 * results inside your own Jest or Vitest suite. The CLI is a thin layer over exactly these calls.
 * docs/api.md lists every export with an example.
 */

// Mocks: the platform and the reference supplier, in process.
export {
  createReferenceSupplierApp,
  startPlatform,
  startReferenceSupplier,
  type PlatformHandle,
  type StartPlatformOptions,
  type StartReferenceSupplierOptions,
  type SupplierHandle,
  type TokenPatient,
} from './mocks/start';
export { FAULT_NAMES, type FaultName } from './mocks/supplier/faults';
export {
  explainRecords,
  type ExplainRecordsOptions,
  type ExplainRecordsResult,
  type VerdictQuery,
} from './mocks/record-service/remote';
export type { RecordsCallVerdict } from './mocks/record-service/verdict';

// Suites: each resolves to a RunResult (verdict, counts, findings, report model, JUnit suites).
export { runChecks, type ChecksResult, type RunChecksOptions, type PlatformRef } from './suites/checks/run-checks';
export {
  runReplay,
  type ReplayHooks,
  type ReplayOptions,
  type ReplayPlatform,
  type ReplayProgress,
  type ReplayResult,
} from './suites/replay/replay';
export { verifyContract, type ContractResult, type VerifyContractOptions } from './suites/pact/verify-contract';
export { runLoad, type RunLoadOptions } from './load/run-load';
export type { Finding, RunCounts, RunResult } from './suites/report/result';
export { renderJUnit, type JUnitCase, type JUnitSuite } from './suites/report/junit';
export type { CheckReport } from './suites/report/check-report';
export type { EvaRun } from './suites/eva/report';
export type { VerifyReport } from './suites/pact/verify-report';
export type { LoadReport } from './load/run-profile';
export { PROFILE_NAMES } from './load/profiles';

// The catalogue and the requirements it cites, as data.
export { checkCatalogue, type CheckInfo } from './suites/checks/catalogue';
export { REQUIREMENTS as requirementRegistry, type Requirement } from './suites/checks/requirements';

// Fixtures and payloads.
export { defaultPack } from './fixtures/default-pack';
export { generatePack, type GenerateOptions } from './fixtures/generate';
export type { FixturePack, PackPatient } from './fixtures/pack';
export { validatePayload, SCHEMA_KIND_NAMES, type SchemaKind } from './contracts/validate';
export type { SchemaVerdict } from './core/schema';

// Access and configuration.
export { supplierAccess, type SupplierAccess, type SupplierAccessInput } from './core/access';
export { resolveConfig, type DeepPartial, type HarnessConfig } from './core/config';
export { RESOURCE_TYPES, type ResourceKey } from './core/resource-types';
export type { ProducerResourceType } from './core/fhir';

// Errors: catch by class; `exitCode` is what the CLI exits with.
export { ExitCode, HarnessError, UsageError } from './core/errors';
export { ConfigError } from './core/config';
export { TimeoutError, UnreachableError } from './core/http';
export { PackError } from './fixtures/pack';
export { CredentialError } from './suites/access/credentials';
export { IgnoreRuleError } from './suites/eva/rules';
export { PactFileError } from './contracts/pact/pact-file';
export { ProfileError } from './load/profiles';
