import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_ERROR_MESSAGE_CHARS, outcomeOf } from "./outcome.ts";

describe("reading a runtime's response", () => {
  it("parses a JSON object result", () => {
    assert.deepEqual(outcomeOf({ outcome: "resultJson", resultJson: Buffer.from('{"a": [1]}'), handlerSeconds: 0 }), {
      kind: "completed",
      result: { a: [1] },
    });
  });

  it("keeps a handler failure's type, message and traceback", () => {
    const failure = { type: "KeyError", message: "'x'", traceback: "Traceback…" };
    assert.deepEqual(outcomeOf({ outcome: "failure", failure, handlerSeconds: 0 }), {
      kind: "failed",
      error: { type: "KeyError", message: "'x'" },
      traceback: "Traceback…",
    });
  });

  it("cuts an exception message too long for a record, saying how long it was", () => {
    const failure = { type: "ValueError", message: "x".repeat(5_000_000), traceback: "" };
    const outcome = outcomeOf({ outcome: "failure", failure, handlerSeconds: 0 });
    assert.equal(outcome.kind, "failed");
    const { message } = (outcome as { error: { message: string } }).error;
    assert.ok(message.startsWith("x".repeat(MAX_ERROR_MESSAGE_CHARS) + "…"));
    assert.match(message, /5000000 characters in all/);
  });

  it("turns a result that is not a JSON object into a failure", () => {
    for (const body of ["[1]", "3", "null", "{oops"]) {
      const outcome = outcomeOf({ outcome: "resultJson", resultJson: Buffer.from(body), handlerSeconds: 0 });
      assert.equal(outcome.kind, "failed", body);
    }
  });
});
