import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  canTransition,
  completed,
  failed,
  failureTypeOf,
  newRecord,
  started,
  toPublic,
  type RequestStatus,
} from "./record.ts";

const ID = "0b9c6a64-2f7a-4d5e-9a57-3f0e2d1c4b5a";

describe("request status transitions", () => {
  const table: Array<[RequestStatus, RequestStatus, boolean]> = [
    ["in_queue", "in_progress", true],
    ["in_queue", "completed", true],
    ["in_queue", "failed", true],
    ["in_progress", "in_progress", true], // a redelivery counts its attempt
    ["in_progress", "completed", true],
    ["in_progress", "failed", true],
    ["in_progress", "in_queue", false],
    ["in_queue", "in_queue", false],
    ["completed", "failed", false],
    ["completed", "in_progress", false],
    ["completed", "completed", false],
    ["failed", "completed", false],
    ["failed", "in_queue", false],
  ];
  for (const [from, to, allowed] of table) {
    it(`${from} → ${to} is ${allowed ? "allowed" : "refused"}`, () => {
      assert.equal(canTransition(from, to), allowed);
    });
  }
});

describe("the public view of a record", () => {
  const base = newRecord("api", ID, new Date("2026-01-02T03:04:05.000Z"));

  it("shows only id and status while queued or running", () => {
    assert.deepEqual(toPublic(base), { id: ID, status: "in_queue" });
    assert.deepEqual(toPublic(started(base, 1)), { id: ID, status: "in_progress" });
  });

  it("adds result and an RFC 3339 UTC timestamp once completed", () => {
    const done = completed(started(base, 1), { a: 1 }, new Date("2026-01-02T03:04:06.500Z"));
    assert.deepEqual(toPublic(done), {
      id: ID,
      status: "completed",
      result: { a: 1 },
      timestamp: "2026-01-02T03:04:06.500Z",
    });
  });

  it("adds the error, and no result or timestamp, once failed", () => {
    const error = { type: failureTypeOf("ValueError"), message: "bad" };
    assert.deepEqual(toPublic(failed(started(base, 2), error)), { id: ID, status: "failed", error });
  });

  it("counts attempts, never down", () => {
    assert.equal(started(started(base, 1), 2).attempts, 2);
    assert.equal(started(started(base, 2), 1).attempts, 2, "a late write from the first delivery");
  });
});

describe("failure types", () => {
  it("keeps a reported exception class name, and names a nameless one HandlerError", () => {
    assert.equal(failureTypeOf("ValueError"), "ValueError");
    assert.equal(failureTypeOf("InvalidResultError"), "InvalidResultError");
    assert.equal(failureTypeOf(""), "HandlerError");
  });
});
