export { ResultStore, DEFAULT_RESULT_TTL_MS, type ResultStoreOptions, type StoredRecord } from "./result-store.ts";
export {
  WorkQueue,
  readRequest,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  type QueuedRequest,
  type RequestStream,
  type Submission,
  type WorkQueueOptions,
} from "./work-queue.ts";
export {
  canTransition,
  completed,
  failed,
  failureTypeOf,
  GLIA_FAILURE_TYPES,
  isFinal,
  newRecord,
  started,
  toPublic,
  type FailureType,
  type GliaFailureType,
  type HandlerExceptionType,
  type PublicRecord,
  type RequestError,
  type RequestRecord,
  type RequestStatus,
} from "./record.ts";
export { isApiName, isRequestId } from "./names.ts";
export { RecordWaiters } from "./record-waiters.ts";
export { QueueFullError, RecordConflictError, RecordTooLargeError, StoreUnavailableError } from "./errors.ts";
export { answerScrapes, scrapeWorkers } from "./metrics-exchange.ts";
export {
  ApiRegistry,
  claimProblem,
  type ApiState,
  type ApiStatus,
  type DeployedApi,
  type EndpointClaims,
  type RegistryEntry,
} from "./registry.ts";
export { followLogs, publishLog, WORKER_LINE, type LogLine } from "./log-stream.ts";
export { DeadLetters, type DeadLetter } from "./dead-letters.ts";
export { PayloadStore } from "./payload-store.ts";
export { inboxPrefix, permissionsFor, type NatsPermissions, type NatsRole } from "./permissions.ts";
