import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { completed, failed, failureTypeOf, newRecord, started, type RequestRecord } from "../jobs/index.ts";
import type { ResolvedRetries } from "../config/index.ts";
import {
  admit,
  afterAttempt,
  backoffMs,
  beginAttempt,
  finishSteps,
  leaseAfter,
  MAX_BACKOFF_MS,
  notRecorded,
  payloadMissing,
  recordSource,
  recordTooLarge,
  REDELIVERY_DELAY_MS,
  type AttemptResult,
  type Decision,
} from "./decide.ts";
import type { Outcome } from "./outcome.ts";

const ID = "00000000-0000-4000-8000-000000000000";
const queued = newRecord("api", ID, new Date("2026-01-02T03:04:05Z"));
const running = (attempt: number): RequestRecord => started(queued, attempt, new Date("2026-01-02T03:04:06Z"));
const done = completed(running(1), { a: 1 });
const gaveUp = failed(running(1), { type: failureTypeOf("ValueError"), message: "bad" });

const THREE: ResolvedRetries = { maxAttempts: 3, backoffSeconds: 1, onHandlerError: false };
const ONE: ResolvedRetries = { maxAttempts: 1, backoffSeconds: 1, onHandlerError: false };
const HANDLER_RETRIES: ResolvedRetries = { ...THREE, onHandlerError: true };

const result: Outcome = { kind: "completed", result: { ok: true } };
const raised: Outcome = { kind: "failed", error: { type: failureTypeOf("KeyError"), message: "'x'" }, traceback: "T" };
const invalid: Outcome = { kind: "failed", error: { type: "InvalidResultError", message: "a list" } };
const answered = (outcome: Outcome): AttemptResult => ({ kind: "answered", outcome });
const timedOut: AttemptResult = { kind: "timed-out", message: "the handler ran past 5 s" };
const crashed: AttemptResult = { kind: "crashed", message: "the runtime call failed: socket closed" };

/** The failure type a decision records, or its kind when it records nothing. */
function summary(d: Decision): string {
  if (d.kind === "finish")
    return d.outcome.kind === "failed" ? `${d.settle} failed ${d.outcome.error.type}` : `${d.settle} completed`;
  if (d.kind === "run") return `run ${d.attempt}`;
  if (d.kind === "retry") return `retry after ${d.delayMs} ms`;
  return d.kind;
}

describe("where the record to move forward comes from", () => {
  const cases: [string, { deliveryCount: number; queued?: object }, boolean, string][] = [
    ["a first delivery carrying its record", { deliveryCount: 1, queued: {} }, true, "message"],
    ["a first delivery where first deliveries are not trusted", { deliveryCount: 1, queued: {} }, false, "store"],
    ["a first delivery without a record (requeued by an older glia)", { deliveryCount: 1 }, true, "store"],
    ["a redelivery", { deliveryCount: 2, queued: {} }, true, "store"],
  ];
  for (const [title, request, trust, expected] of cases)
    it(title, () => assert.equal(recordSource(request, trust), expected));
});

describe("admitting a delivered request", () => {
  const cases: [string, number, RequestRecord | null, ResolvedRetries, string][] = [
    ["runs a first delivery as attempt 1", 1, queued, THREE, "run 1"],
    ["runs a redelivery as the attempt its count says", 2, queued, THREE, "run 2"],
    ["runs the last attempt", 3, queued, THREE, "run 3"],
    ["counts from an in_progress record when the delivery count started again", 1, running(2), THREE, "run 3"],
    ["drops a request without a record (never accepted, or expired)", 2, null, THREE, "drop"],
    ["acknowledges a duplicate of a completed request without running it", 2, done, THREE, "duplicate"],
    ["acknowledges a duplicate of a failed request without running it", 1, gaveUp, THREE, "duplicate"],
    ["does not run a final record even past the last attempt", 9, done, THREE, "duplicate"],
    ["fails a delivery past the last attempt, terminating it", 4, queued, THREE, "term failed AttemptsExhausted"],
    ["fails past the last attempt as the record counts it", 1, running(3), THREE, "term failed AttemptsExhausted"],
    [
      "with one attempt allowed, a second delivery only records the failure",
      2,
      queued,
      ONE,
      "term failed AttemptsExhausted",
    ],
  ];
  for (const [title, deliveryCount, record, retries, expected] of cases)
    it(title, () => assert.equal(summary(admit({ deliveryCount }, record, retries)), expected));

  it("says how many attempts ended without an answer", () => {
    const d = admit({ deliveryCount: 4 }, queued, THREE);
    assert.ok(d.kind === "finish" && d.outcome.kind === "failed");
    assert.match(d.outcome.error.message, /stopped during each of 3 attempts/);
  });
});

describe("a payload gone from the payload store", () => {
  it("fails the request PayloadMissing and terminates the message (nothing to retry with)", () => {
    const d = payloadMissing();
    assert.equal(summary(d), "term failed PayloadMissing");
    assert.ok(d.kind === "finish" && d.outcome.kind === "failed");
    assert.match(d.outcome.error.message, /no longer in the object store/);
  });
});

describe("what follows an attempt", () => {
  const cases: [string, number, AttemptResult, ResolvedRetries, string][] = [
    ["records a result and acknowledges", 1, answered(result), THREE, "ack completed"],
    ["records a result on the last attempt", 3, answered(result), THREE, "ack completed"],
    ["records a handler exception at once by default", 1, answered(raised), THREE, "ack failed KeyError"],
    [
      "retries a handler exception when on_handler_error is set",
      1,
      answered(raised),
      HANDLER_RETRIES,
      "retry after 1000 ms",
    ],
    [
      "records a handler exception on the last attempt even with on_handler_error",
      3,
      answered(raised),
      HANDLER_RETRIES,
      "ack failed KeyError",
    ],
    ["records a result that is not a JSON object", 1, answered(invalid), THREE, "ack failed InvalidResultError"],
    ["retries a runtime crash", 1, crashed, THREE, "retry after 1000 ms"],
    ["backs off longer after each attempt", 2, crashed, THREE, "retry after 2000 ms"],
    ["fails a runtime crash on the last attempt RuntimeCrashed", 3, crashed, THREE, "ack failed RuntimeCrashed"],
    ["retries a timeout", 1, timedOut, THREE, "retry after 1000 ms"],
    ["fails a timeout on the last attempt Timeout", 3, timedOut, THREE, "ack failed Timeout"],
    ["fails a timeout at once with one attempt allowed", 1, timedOut, ONE, "ack failed Timeout"],
    ["fails a crash at once with one attempt allowed", 1, crashed, ONE, "ack failed RuntimeCrashed"],
  ];
  for (const [title, attempt, attemptResult, retries, expected] of cases)
    it(title, () => assert.equal(summary(afterAttempt(attempt, attemptResult, retries)), expected));

  it("acknowledges without writing when the record turned final meanwhile, whatever the attempt came to", () => {
    for (const r of [answered(result), answered(raised), crashed, timedOut])
      for (const attempt of [1, 3]) assert.equal(afterAttempt(attempt, r, HANDLER_RETRIES, true).kind, "duplicate");
  });

  it("keeps the handler's failure as the runtime reported it, traceback included", () => {
    assert.deepEqual(afterAttempt(1, answered(raised), THREE), { kind: "finish", outcome: raised, settle: "ack" });
  });

  it("keeps the timeout's own message, and says how often the runtime crashed", () => {
    const timeout = afterAttempt(3, timedOut, THREE);
    assert.ok(timeout.kind === "finish" && timeout.outcome.kind === "failed");
    assert.equal(timeout.outcome.error.message, "the handler ran past 5 s");
    const crash = afterAttempt(3, crashed, THREE);
    assert.ok(crash.kind === "finish" && crash.outcome.kind === "failed");
    assert.equal(
      crash.outcome.error.message,
      "the runtime crashed on each of 3 attempts at this request: the runtime call failed: socket closed",
    );
  });

  it("gives the retry's reason", () => {
    const d = afterAttempt(1, crashed, THREE);
    assert.ok(d.kind === "retry");
    assert.equal(d.why, "the runtime call failed: socket closed");
    const h = afterAttempt(1, answered(raised), HANDLER_RETRIES);
    assert.ok(h.kind === "retry");
    assert.equal(h.why, "'x'");
  });
});

describe("the runtime after an attempt", () => {
  const cases: [AttemptResult, string][] = [
    [answered(result), "keep"],
    [answered(raised), "keep"],
    [timedOut, "kill"],
    [crashed, "suspect"],
  ];
  for (const [r, expected] of cases) it(`${r.kind} → ${expected}`, () => assert.equal(leaseAfter(r), expected));
});

describe("back-off between attempts", () => {
  it("doubles after each attempt from glia.retries.backoff", () => {
    const retries = { ...THREE, backoffSeconds: 0.5 };
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => backoffMs(a, retries)),
      [500, 1000, 2000, 4000],
    );
  });

  it("is never longer than ten minutes", () => {
    assert.equal(backoffMs(30, { ...THREE, backoffSeconds: 60 }), MAX_BACKOFF_MS);
  });

  it("is none with a zero back-off", () => {
    assert.equal(backoffMs(3, { ...THREE, backoffSeconds: 0 }), 0);
  });
});

describe("finishing a request", () => {
  const cases: [string, Outcome, boolean, { deadLetter: boolean; removePayload: boolean }][] = [
    ["a completed one with an inline payload", result, false, { deadLetter: false, removePayload: false }],
    ["a completed one with a stored payload removes it", result, true, { deadLetter: false, removePayload: true }],
    ["a failed one is dead-lettered", raised, false, { deadLetter: true, removePayload: false }],
    ["a failed one keeps its stored payload for requeue", raised, true, { deadLetter: true, removePayload: false }],
  ];
  for (const [title, outcome, payloadStored, expected] of cases)
    it(title, () => assert.deepEqual(finishSteps(outcome, payloadStored), expected));

  it("records RecordTooLarge, naming both sizes, when the record would not fit", () => {
    assert.deepEqual(recordTooLarge(2_000_000, 1_047_552), {
      kind: "failed",
      error: {
        type: "RecordTooLarge",
        message: "the request's record would be 2000000 bytes, more than the 1047552 the NATS server accepts",
      },
    });
  });

  it("hands a request back when its outcome could not be stored", () => {
    assert.deepEqual(notRecorded(), {
      kind: "retry",
      delayMs: REDELIVERY_DELAY_MS,
      why: "the outcome could not be recorded",
    });
  });
});

describe("marking an attempt in_progress", () => {
  const at = new Date("2026-01-02T03:05:00Z");

  it("starts a queued record as this attempt", () => {
    const r = beginAttempt(queued, { deliveryCount: 1 }, 1, at);
    assert.equal(r.status, "in_progress");
    assert.equal(r.attempts, 1);
    assert.equal(r.startedAt, at.toISOString());
  });

  it("keeps this attempt's own mark as it is", () => {
    const mine = beginAttempt(queued, { deliveryCount: 2 }, 2, at);
    assert.equal(beginAttempt(mine, { deliveryCount: 2 }, 2, at), mine);
  });

  it("comes after an in_progress record an earlier attempt left", () => {
    const r = beginAttempt(running(2), { deliveryCount: 1 }, 1, at);
    assert.equal(r.attempts, 3);
    assert.equal(r.startedAt, at.toISOString());
  });
});
