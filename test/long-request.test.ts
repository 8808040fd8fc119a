import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ResultStore } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, submit, waitFor } from "./support/http.ts";

const ACK_WAIT_MS = 1_500;

describe("a request longer than the ack wait", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["long-request"], { ackWaitMs: ACK_WAIT_MS });
  });
  after(async () => stack?.stop());

  it("is kept by heartbeats and runs exactly once", async () => {
    const url = stack.url("long");
    const id = await submit(url, JSON.stringify({ sleep: (ACK_WAIT_MS * 3) / 1000 }), "application/json");
    const running = await waitFor(url, id, (s) => s !== "in_queue", 5_000);
    assert.equal(running.body["status"], "in_progress");
    const done = await waitFor(url, id, isFinal, 30_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const store = await ResultStore.open(stack.platform.nc);
    const stored = await store.get("long", id);
    assert.equal(stored?.record.attempts, 1, "a redelivery would have run it again on the idle runtime");
  });

  it("is taken over within about one ack wait when its worker dies", async () => {
    const url = stack.url("long");
    const id = await submit(url, JSON.stringify({ sleep: (ACK_WAIT_MS * 3) / 1000 }), "application/json");
    await waitFor(url, id, (s) => s === "in_progress", 5_000);
    const store = await ResultStore.open(stack.platform.nc);
    const killedAt = Date.now();
    process.kill(stack.platform.workers.get("long")!.pid!, "SIGKILL");
    for (;;) {
      const stored = await store.get("long", id);
      if ((stored?.record.attempts ?? 0) >= 2) break;
      assert.ok(
        Date.now() - killedAt < 30_000,
        `the request was not taken over within 30 s: ${JSON.stringify(stored?.record)} after ${Date.now() - killedAt} ms`,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    const tookOverMs = Date.now() - killedAt;
    console.log(`long request: taken over ${tookOverMs} ms after its worker was killed (ack wait ${ACK_WAIT_MS} ms)`);
    const done = await waitFor(url, id, isFinal, 30_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.equal((await store.get("long", id))?.record.attempts, 2);
  });

  it("can be awaited with ?wait= instead of polling", async () => {
    const url = stack.url("long");
    const id = await submit(url, JSON.stringify({ sleep: 1 }), "application/json");
    const early = await get(`${url}/${id}?wait=0.2`);
    assert.equal(early.status, 200);
    assert.ok(!isFinal(String(early.body["status"])), `after 0.2 s of a 1 s request: ${JSON.stringify(early.body)}`);
    const done = await get(`${url}/${id}?wait=10`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    for (const bad of ["abc", "-1", "61", ""]) {
      const res = await get(`${url}/${id}?wait=${bad}`);
      assert.equal(res.status, 400, `?wait=${bad}`);
      assert.match(String(res.body["error"]), /wait must be/);
    }
  });
});
