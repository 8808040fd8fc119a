import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ResultStore } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, post, submit, waitFor } from "./support/http.ts";

describe("a full queue", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["queue-limit"]);
  });
  after(async () => stack?.stop());

  it("answers 429 with Retry-After past the limit, writes nothing for it, and keeps answering GETs", async () => {
    const url = stack.url("limited");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post(url, JSON.stringify({ sleep: 1.5 }), "application/json")),
    );
    const accepted = answers.filter((a) => a.status === 200).map((a) => String(a.body["id"]));
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(accepted.length + refused.length, 8, JSON.stringify(answers.map((a) => a.status)));
    assert.ok(accepted.length <= 3, `at most 3 held at once, got ${accepted.length}`);
    assert.ok(refused.length >= 5);
    for (const r of refused) {
      assert.equal(r.headers.get("retry-after"), "1");
      assert.match(String(r.body["error"]), /queue of limited is full/);
    }
    const first = await get(`${url}/${accepted[0]}`);
    assert.equal(first.status, 200, "GET answers while the queue is full");
    const store = await ResultStore.open(stack.platform.nc);
    const records = await Promise.all((await store.keys("limited")).map((id) => store.get("limited", id)));
    const left = records.filter((r) => r !== null).map((r) => r.record);
    assert.equal(
      left.length,
      accepted.length,
      `no record was left for a refused request: accepted ${JSON.stringify(accepted)}, records ${JSON.stringify(left)}`,
    );
    for (const id of accepted) assert.equal((await waitFor(url, id, isFinal, 30_000)).body["status"], "completed");
    const later = await submit(url, "{}", "application/json");
    assert.equal((await waitFor(url, later, isFinal)).body["status"], "completed", "accepts again once there is room");
  });
});
