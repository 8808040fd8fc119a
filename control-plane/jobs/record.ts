/**
 * The request record: the single source of a request's status. A record only moves forward,
 * `in_queue → in_progress → completed | failed`; a redelivery may rewrite `in_progress` (to count
 * the attempt), nothing rewrites a final record.
 */

export type RequestStatus = "in_queue" | "in_progress" | "completed" | "failed";

/**
 * The failure types glia itself writes on a record (each is documented in README.md, "Why a
 * request failed"). The worker makes most of them; `PayloadDecodeError` and `InvalidResultError`
 * come from the Python runtime, which names them after its own exception classes.
 */
export const GLIA_FAILURE_TYPES = [
  /** The payload was too large for a message and is gone from the payload store (it expired). */
  "PayloadMissing",
  /** The handler ran past `glia.timeout` on the last attempt; its runtime was restarted. */
  "Timeout",
  /** The runtime died (or its call failed) on the last attempt. */
  "RuntimeCrashed",
  /** A delivery past the last attempt: every attempt ended with its worker or runtime gone. */
  "AttemptsExhausted",
  /** The failed record itself would be larger than the NATS server accepts. */
  "RecordTooLarge",
  /** The handler's result is not a JSON object, or is too large for the runtime to send. */
  "InvalidResultError",
  /** The runtime could not decode the payload according to its Content-Type. */
  "PayloadDecodeError",
  /** The runtime reported a handler failure without a class name. */
  "HandlerError",
  /** A dead letter whose stored error could not be read (never on a record). */
  "Unknown",
] as const;

/** A failure type glia itself writes. */
export type GliaFailureType = (typeof GLIA_FAILURE_TYPES)[number];

declare const handlerException: unique symbol;

/**
 * The Python class name of an exception the handler raised (`ValueError`, `KeyError`…), as the
 * runtime reported it. Made only by {@link failureTypeOf}, so a misspelt glia type is a type error.
 */
export type HandlerExceptionType = string & { readonly [handlerException]: true };

/** Every `error.type` a client can see on a failed record: one of glia's own, or the handler's exception class name. */
export type FailureType = GliaFailureType | HandlerExceptionType;

/**
 * The failure type a runtime reported: the exception's class name, which is glia's own for the
 * runtime's errors; `HandlerError` when it named none.
 */
export function failureTypeOf(name: string): FailureType {
  return name === "" ? "HandlerError" : (name as FailureType);
}

/** Why a request failed, as stored and as returned by `GET` (`traceback` is logged, not stored). */
export interface RequestError {
  type: FailureType;
  message: string;
}

export interface RequestRecord {
  id: string;
  api: string;
  status: RequestStatus;
  /** RFC 3339 UTC times of each step. */
  createdAt: string;
  startedAt?: string;
  /** When the record became final; the `timestamp` of a completed request. */
  endedAt?: string;
  /** Deliveries so far (1 on the first run; more after a crash or a retry). */
  attempts: number;
  result?: Record<string, unknown>;
  /**
   * The result was too large for a record: it is in the large-results object store under the
   * record's key (see ResultStore), and `result` is left out.
   */
  resultStored?: boolean;
  error?: RequestError;
}

const RANK: Record<RequestStatus, number> = { in_queue: 0, in_progress: 1, completed: 2, failed: 2 };

export function isFinal(status: RequestStatus): boolean {
  return RANK[status] === 2;
}

/** Whether a record in `from` may be overwritten by one in `to`. */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  if (isFinal(from)) return false;
  return RANK[to] > RANK[from] || (from === "in_progress" && to === "in_progress");
}

export function newRecord(api: string, id: string, now: Date = new Date()): RequestRecord {
  return { id, api, status: "in_queue", createdAt: now.toISOString(), attempts: 0 };
}

/** Attempts only count up: a late write from an earlier delivery does not lower them. */
export function started(record: RequestRecord, attempt: number, now: Date = new Date()): RequestRecord {
  return {
    ...record,
    status: "in_progress",
    startedAt: now.toISOString(),
    attempts: Math.max(record.attempts, attempt),
  };
}

export function completed(
  record: RequestRecord,
  result: Record<string, unknown>,
  now: Date = new Date(),
): RequestRecord {
  return { ...record, status: "completed", endedAt: now.toISOString(), result };
}

export function failed(record: RequestRecord, error: RequestError, now: Date = new Date()): RequestRecord {
  return { ...record, status: "failed", endedAt: now.toISOString(), error };
}

/** The public shape of a record, as `GET /<endpoint>/<id>` answers it (Cortex's fields + `error`). */
export interface PublicRecord {
  id: string;
  status: RequestStatus;
  result?: Record<string, unknown>;
  timestamp?: string;
  error?: RequestError;
}

export function toPublic(record: RequestRecord): PublicRecord {
  const out: PublicRecord = { id: record.id, status: record.status };
  if (record.status === "completed") {
    out.result = record.result ?? {};
    out.timestamp = record.endedAt;
  }
  if (record.status === "failed") out.error = record.error;
  return out;
}
