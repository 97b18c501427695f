/** Public surface of the mock Record Service (the platform, the aggregator and the supplier's tests use these). */
export {
  createRecordServiceRouter,
  createRecordServiceApp,
  VERDICT_HEADER,
  FAULT_HEADER,
  HARNESS_WARNING_HEADER,
  DEFAULT_BODY_LIMIT_BYTES,
  type RecordServiceDeps,
  type RecordServiceAppDeps,
} from './app';
export {
  openRegistrationStore,
  registrationStorePath,
  REGISTRATION_DB_FILE,
  type RegistrationStore,
  type Registration,
  type RegisteredEvent,
  type RegisterResult,
  type VerdictFilter,
} from './store';
export {
  ClientRegistry,
  clientRegistry,
  ClientValidationError,
  publicClientView,
  CLIENT_SCHEMA,
  type ClientChange,
} from './clients';
export {
  FaultInjector,
  FaultValidationError,
  RECORD_SERVICE_TIMEOUT_MS,
  validateFaultConfig,
  type RuntimeFaultConfig,
  type FaultDecision,
  type FaultStats,
} from './faults';
export {
  REASON_CATALOGUE,
  REASON_CODES,
  reasonEntry,
  isReasonCode,
  renderReasonTableMarkdown,
  type ReasonCode,
  type ReasonEntry,
  type ReasonKind,
  type RecordsErrorCode,
} from './catalogue';
export {
  BATCH_LIMITS,
  judgeRecordsCall,
  looksLikePlaceholder,
  type Judgement,
  type RecordsCall,
  type JudgeEnv,
  type CredentialCheck,
  type BodyRead,
} from './judge';
export type { RecordsCallVerdict, ExplainedReason, ReasonFinding, VerdictOutcome, CredentialKind } from './verdict';
