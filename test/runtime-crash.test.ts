import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

describe("a runtime killed in the middle of a request", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["slow-handler"]);
  });
  after(async () => stack?.stop());

  it("does not lose the request: it is delivered again and ends completed", async () => {
    const slow = stack.url("slow");
    const pool = stack.platform.pools.get("slow")!;
    const victim = pool.pids()[0]!;
    const id = await submit(slow, JSON.stringify({ sleep: 1.5 }), "application/json");
    await waitFor(slow, id, (s) => s === "in_progress", 10_000);
    await sleep(200); // inside handle_async's sleep
    process.kill(victim, "SIGKILL");
    const done = await waitFor(slow, id, isFinal, 60_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const pid = (done.body["result"] as { pid: number }).pid;
    assert.notEqual(pid, victim, "the request ran again on the restarted runtime");
    assert.equal(pool.pids()[0], pid);
  });
});
