import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ResultStore } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";
import { platformState, runCli } from "./support/cli.ts";

describe("timeouts and retries (glia.timeout, glia.retries)", { timeout: 180_000 }, () => {
  let stack: TestPlatform;
  let store: ResultStore;
  const run = async (mode: string) => {
    const url = stack.url("flaky");
    const id = await submit(url, JSON.stringify({ mode }), "application/json");
    const done = await waitFor(url, id, isFinal, 60_000);
    return { body: done.body, attempts: (await store.get("flaky", id))?.record.attempts };
  };

  before(async () => {
    stack = await startPlatform(["retries"]);
    store = await ResultStore.open(stack.platform.nc);
  });
  after(async () => stack?.stop());

  it("tries a failing request again and completes it on the attempt that works", async () => {
    const { body, attempts } = await run("fail-twice");
    assert.equal(body["status"], "completed", JSON.stringify(body));
    assert.deepEqual(body["result"], { attempt: 3 });
    assert.equal(attempts, 3);
  });

  it("ends a request that always raises failed after the last attempt, with its error", async () => {
    const { body, attempts } = await run("always-fail");
    assert.equal(body["status"], "failed");
    assert.deepEqual(body["error"], { type: "RuntimeError", message: "attempt 3 failed" });
    assert.equal(attempts, 3);
  });

  it("puts a failed request back in the queue with `glia requeue`, with its payload and id", async () => {
    const url = stack.url("flaky");
    const id = await submit(url, JSON.stringify({ mode: "fail-first-3" }), "application/json");
    assert.equal((await waitFor(url, id, isFinal, 60_000)).body["status"], "failed");
    const cli = runCli(["requeue", "flaky", id], platformState());
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    assert.ok(cli.stderr.includes(`requeued ${id}`), cli.stderr.join("\n"));
    const done = await waitFor(url, id, (s) => s === "completed", 60_000);
    assert.deepEqual(done.body["result"], { attempt: 4 }, "the same request ran again, from its kept payload");
    const again = runCli(["requeue", "flaky", id], platformState());
    assert.notEqual(await again.exited, 0, "a completed request is not requeued");
    assert.match(again.stderr.join("\n"), /has no failed request/);
  });

  it("kills a handler that runs past its timeout, tries again, then fails it with Timeout", async () => {
    const { body, attempts } = await run("hang");
    assert.equal(body["status"], "failed", JSON.stringify(body));
    assert.equal((body["error"] as { type: string }).type, "Timeout");
    assert.equal(attempts, 3);
    const ok = await run("fail-twice");
    assert.equal(ok.body["status"], "completed", "the restarted runtime serves again");
  });
});
