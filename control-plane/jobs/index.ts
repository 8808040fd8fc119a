export { ResultStore, DEFAULT_RESULT_TTL_MS, type StoredRecord } from "./result-store.ts";
export { WorkQueue, type QueuedRequest, type RequestStream } from "./work-queue.ts";
export {
  completed,
  failed,
  failureTypeOf,
  isFinal,
  newRecord,
  started,
  toPublic,
  type FailureType,
  type RequestError,
  type RequestRecord,
} from "./record.ts";
export { isApiName, isRequestId, NATS_MAX_PAYLOAD_BYTES, requestStream, WORKER_CONSUMER } from "./names.ts";
export { RecordWaiters } from "./record-waiters.ts";
export { QueueFullError, RecordTooLargeError, StoreUnavailableError } from "./errors.ts";
export { answerScrapes, scrapeWorkers } from "./metrics-exchange.ts";
export {
  ApiRegistry,
  claimProblem,
  type ApiStatus,
  type DeployedApi,
  type EndpointClaims,
  type RegistryEntry,
} from "./registry.ts";
export { followLogs, publishLog, WORKER_LINE, type LogLine } from "./log-stream.ts";
export { DeadLetters } from "./dead-letters.ts";
export { PayloadStore } from "./payload-store.ts";
export {
  inboxPrefix,
  permissionsFor,
  serverUser,
  type NatsPermissions,
  type NatsRole,
  type PermissionScope,
  type ServerUser,
} from "./permissions.ts";
