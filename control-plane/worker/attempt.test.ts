import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { completed, newRecord, started } from "../jobs/index.ts";
import { attemptOf } from "./attempt.ts";

const ID = "00000000-0000-4000-8000-000000000000";

describe("the attempt a delivery is", () => {
  const queued = newRecord("api", ID);

  it("is JetStream's delivery count while the record shows no attempt running", () => {
    assert.equal(attemptOf({ deliveryCount: 1 }, queued), 1);
    assert.equal(attemptOf({ deliveryCount: 3 }, queued), 3);
  });

  it("comes after an attempt an in_progress record shows, even when the delivery count went back to 1", () => {
    assert.equal(attemptOf({ deliveryCount: 1 }, started(queued, 1)), 2);
    assert.equal(attemptOf({ deliveryCount: 2 }, started(queued, 1)), 2);
    assert.equal(attemptOf({ deliveryCount: 1 }, started(queued, 4)), 5);
  });

  it("never goes below a floor already known", () => {
    assert.equal(attemptOf({ deliveryCount: 1 }, queued, 3), 3);
    assert.equal(attemptOf({ deliveryCount: 1 }, completed(started(queued, 2), {})), 1);
  });
});
