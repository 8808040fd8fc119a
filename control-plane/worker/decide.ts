import { isFinal, started, type RequestError, type RequestRecord } from "../jobs/index.ts";
import type { ResolvedRetries } from "../config/index.ts";
import { attemptOf } from "./attempt.ts";
import type { Outcome } from "./outcome.ts";

/**
 * What `ApiWorker` does with a delivered request, decided without I/O or timers: each function
 * takes what the worker has learnt (the delivery, the record, the runtime's answer) and returns
 * the next step, which `worker.ts` carries out. Table-driven tests beside it cover every branch.
 */

/** Delay before a request is delivered again when its outcome could not be recorded. */
export const REDELIVERY_DELAY_MS = 1_000;

/** Longest back-off between attempts: 10 minutes. */
export const MAX_BACKOFF_MS = 10 * 60_000;

/** The next step for a delivered request: run it, or settle it (see {@link Settlement}). */
export type Decision =
  /** Run the handler; this is attempt `attempt`. */
  { kind: "run"; attempt: number } | Settlement;

/** How a request's delivery ends, with what is written first. */
export type Settlement =
  /** No record: the request was never accepted, or its record expired. Terminate the message, write nothing. */
  | { kind: "drop" }
  /** The request already ended (a duplicate delivery): acknowledge it, write nothing. */
  | { kind: "duplicate" }
  /** The attempt ended without an answer and another is allowed: hand it back after `delayMs`. */
  | { kind: "retry"; delayMs: number; why: string }
  /** Record the outcome (a failure is dead-lettered first), then settle the message so. */
  | { kind: "finish"; outcome: Outcome; settle: "ack" | "term" };

/** How an attempt at the runtime ended. */
export type AttemptResult =
  /** The runtime answered: a result, or the handler's failure (see `outcomeOf`). */
  | { kind: "answered"; outcome: Outcome }
  /** The handler ran past the deadline. */
  | { kind: "timed-out"; message: string }
  /** The runtime died, or the call to it failed. */
  | { kind: "crashed"; message: string };

/** What becomes of the runtime after an attempt: a timed-out one is killed (nothing else stops a running handler). */
export type LeaseAction = "keep" | "kill" | "suspect";

/** Where the record to move forward comes from. */
export type RecordSource = "message" | "store";

/**
 * A first delivery carries the gateway's `in_queue` record (creation time and revision), so it
 * needs no read unless first deliveries are not trusted (a NATS cluster can deliver again as
 * "first" after a leader change); every other delivery reads the record.
 */
export function recordSource(
  request: { deliveryCount: number; queued?: unknown },
  trustFirstDelivery: boolean,
): RecordSource {
  return request.deliveryCount === 1 && request.queued && trustFirstDelivery ? "message" : "store";
}

/**
 * Whether to run a delivered request, given its record (null when there is none). A delivery past
 * the last attempt only records why the request failed: the previous attempt ended with its
 * worker gone.
 */
export function admit(
  request: { deliveryCount: number },
  record: RequestRecord | null,
  retries: ResolvedRetries,
): Decision {
  if (!record) return { kind: "drop" };
  if (isFinal(record.status)) return { kind: "duplicate" };
  const attempt = attemptOf(request, record);
  if (attempt <= retries.maxAttempts) return { kind: "run", attempt };
  const message = `no attempt finished: the worker or runtime running it stopped during each of ${retries.maxAttempts} attempts`;
  return fail({ type: "AttemptsExhausted", message }, "term");
}

/** A payload kept in the payload store is gone (it expired): the request cannot run. */
export function payloadMissing(): Settlement {
  return fail({ type: "PayloadMissing", message: "the payload is no longer in the object store (it expired)" }, "term");
}

/**
 * What to do once an attempt ended. `recordFinal`: marking the record `in_progress` found it
 * already final (another delivery of the same request finished it), so nothing is written.
 */
export function afterAttempt(
  attempt: number,
  result: AttemptResult,
  retries: ResolvedRetries,
  recordFinal = false,
): Settlement {
  if (recordFinal) return { kind: "duplicate" };
  const canRetry = attempt < retries.maxAttempts;
  const retry = (why: string): Settlement => ({ kind: "retry", delayMs: backoffMs(attempt, retries), why });
  if (result.kind === "answered") {
    const { outcome } = result;
    if (outcome.kind === "failed" && canRetry && retries.onHandlerError) return retry(outcome.error.message);
    return { kind: "finish", outcome, settle: "ack" };
  }
  if (canRetry) return retry(result.message);
  if (result.kind === "timed-out") return fail({ type: "Timeout", message: result.message }, "ack");
  const message = `the runtime crashed on each of ${attempt} attempts at this request: ${result.message}`;
  return fail({ type: "RuntimeCrashed", message }, "ack");
}

/** The runtime after an attempt: killed when it timed out, checked when the call failed. */
export function leaseAfter(result: AttemptResult): LeaseAction {
  if (result.kind === "timed-out") return "kill";
  return result.kind === "crashed" ? "suspect" : "keep";
}

/** The back-off before attempt `attempt + 1`: `backoff` doubled after each attempt, at most {@link MAX_BACKOFF_MS}. */
export function backoffMs(attempt: number, retries: ResolvedRetries): number {
  return Math.min(MAX_BACKOFF_MS, retries.backoffSeconds * 1000 * 2 ** (attempt - 1));
}

/** What finishing a request involves besides writing its record. */
export interface FinishSteps {
  /** Keep the payload in the dead letters before the record says failed, so `glia requeue` always finds it. */
  deadLetter: boolean;
  /** Remove the payload from the payload store once the record is written (a failed one stays for requeue). */
  removePayload: boolean;
}

export function finishSteps(outcome: Outcome, payloadStored: boolean): FinishSteps {
  return { deadLetter: outcome.kind === "failed", removePayload: outcome.kind === "completed" && payloadStored };
}

/** The failure recorded instead of an outcome whose record is larger than the NATS server accepts. */
export function recordTooLarge(bytes: number, limit: number): Outcome {
  const message = `the request's record would be ${bytes} bytes, more than the ${limit} the NATS server accepts`;
  return { kind: "failed", error: { type: "RecordTooLarge", message } };
}

/** The outcome could not be recorded (NATS unavailable): the request is delivered again, not lost. */
export function notRecorded(): Extract<Settlement, { kind: "retry" }> {
  return { kind: "retry", delayMs: REDELIVERY_DELAY_MS, why: "the outcome could not be recorded" };
}

/**
 * The record as an attempt that began at `startedAt` marks it. An `in_progress` record that is not
 * this attempt's own was left by an earlier attempt (its worker died): this one comes after it,
 * whatever JetStream's delivery count says. The attempt's own mark is kept as it is.
 */
export function beginAttempt(
  record: RequestRecord,
  request: { deliveryCount: number },
  attempt: number,
  startedAt: Date,
): RequestRecord {
  if (record.status === "in_progress" && record.startedAt === startedAt.toISOString()) return record;
  return started(record, attemptOf(request, record, attempt), startedAt);
}

function fail(error: RequestError, settle: "ack" | "term"): Settlement {
  return { kind: "finish", outcome: { kind: "failed", error }, settle };
}
