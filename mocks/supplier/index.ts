/** Public surface of the reference supplier (the CLI, the platform's demo and the check suites' tests use these). */
export {
  createSupplierApp,
  DEFAULT_SUPPLIER_PATHS,
  DEFAULT_RATE_LIMIT_TPS,
  DEFAULT_DEADLINE_MS,
  type SupplierDeps,
  type SupplierPaths,
} from './app';
export {
  FAULTS,
  FAULT_NAMES,
  faultSpec,
  isFaultName,
  isApiFault,
  isUploadFault,
  renderFaultList,
  renderFaultTable,
  type FaultName,
  type ApiFaultName,
  type UploadFaultName,
  type FaultSpec,
  type FaultTarget,
} from './faults';
export {
  apiBehaviour,
  uploadBehaviour,
  CONFORMING_API,
  CONFORMING_UPLOAD,
  RECORD_SERVICE_BATCH_LIMIT,
  type ApiBehaviour,
  type UploadBehaviour,
} from './behaviour';
export { ERRORS as SUPPLIER_ERRORS, type SupplierError } from './errors';
export {
  uploadPack,
  normaliseRecordsUrl,
  backoffDelay,
  DEFAULT_RETRY,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type UploadOptions,
  type UploadReport,
  type UploadAuth,
  type UploadProgress,
  type UploadOutcome,
  type RetryPolicy,
  type SkipReason,
  type FailedBatch,
} from './upload';
export { openUploadJournal, type UploadJournal, type AttemptRecord } from './journal';
export {
  startSupplierStack,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  type SupplierStack,
  type StackOptions,
  type IdTokenRequest,
} from './stack';
