/**
 * The request record: the single source of a request's status. A record only moves forward,
 * `in_queue → in_progress → completed | failed`; a redelivery may rewrite `in_progress` (to count
 * the attempt), nothing rewrites a final record.
 */

export type RequestStatus = "in_queue" | "in_progress" | "completed" | "failed";

/** Why a request failed, as stored and as returned by `GET` (`traceback` is logged, not stored). */
export interface RequestError {
  /** A short class name: the handler's exception type, or glia's own (`Timeout`, `RuntimeCrashed`…). */
  type: string;
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
