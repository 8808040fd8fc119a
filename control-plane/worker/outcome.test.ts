import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { outcomeOf } from "./outcome.ts";

describe("reading a runtime's response", () => {
  it("parses a JSON object result", () => {
    assert.deepEqual(outcomeOf({ outcome: "resultJson", resultJson: Buffer.from('{"a": [1]}'), handlerSeconds: 0 }), {
      kind: "completed",
      result: { a: [1] },
    });
  });

  it("keeps a handler failure's type, message and traceback", () => {
    const failure = { type: "KeyError", message: "'x'", traceback: "Traceback…", retryable: false };
    assert.deepEqual(outcomeOf({ outcome: "failure", failure, handlerSeconds: 0 }), {
      kind: "failed",
      error: { type: "KeyError", message: "'x'" },
      traceback: "Traceback…",
    });
  });

  it("turns a result that is not a JSON object into a failure", () => {
    for (const body of ["[1]", "3", "null", "{oops"]) {
      const outcome = outcomeOf({ outcome: "resultJson", resultJson: Buffer.from(body), handlerSeconds: 0 });
      assert.equal(outcome.kind, "failed", body);
    }
  });
});
