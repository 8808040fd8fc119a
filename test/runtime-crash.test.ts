import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

describe("a runtime or worker killed in the middle of a request", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["slow-handler"], { ackWaitMs: 2_000 });
  });
  after(async () => stack?.stop());

  it("does not lose the request: it is delivered again and ends completed", async () => {
    const slow = stack.url("slow");
    const first = await waitFor(slow, await submit(slow, "{}", "application/json"), isFinal);
    const victim = (first.body["result"] as { pid: number }).pid;
    const id = await submit(slow, JSON.stringify({ sleep: 1.5 }), "application/json");
    // in_progress is written 50 ms into the runtime call: the request is running when it dies.
    await waitFor(slow, id, (s) => s === "in_progress", 10_000);
    process.kill(victim, "SIGKILL");
    const done = await waitFor(slow, id, isFinal, 60_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const pid = (done.body["result"] as { pid: number }).pid;
    assert.notEqual(pid, victim, "the request ran again on the restarted runtime");
  });

  it("does not lose the request when the whole worker process dies: a new worker takes it over", async () => {
    const slow = stack.url("slow");
    const worker = stack.platform.workers.get("slow")!;
    const victim = worker.pid!;
    const id = await submit(slow, JSON.stringify({ sleep: 1.5 }), "application/json");
    await waitFor(slow, id, (s) => s === "in_progress", 10_000);
    process.kill(victim, "SIGKILL");
    const done = await waitFor(slow, id, isFinal, 60_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.notEqual(worker.pid, victim, "the worker process was restarted");
  });
});
