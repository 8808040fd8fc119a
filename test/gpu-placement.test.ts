import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiRegistry, type ApiStatus } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, resultsByRuntime, submit, waitFor } from "./support/http.ts";
import { platformState, runCli } from "./support/cli.ts";

/**
 * The machine's GPUs are given as device ids (as GLIA_GPUS gives them), so the placement is
 * tested on a machine without one: what a runtime is handed is its CUDA_VISIBLE_DEVICES.
 */
describe("compute.gpu", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["gpu-placement"], { gpus: ["0", "1", "2"] });
  });
  after(async () => stack?.stop());

  /** The CUDA_VISIBLE_DEVICES each of the API's `runtimes` sees, by runtime pid. */
  async function devicesByRuntime(api: string, runtimes: number): Promise<Map<number, string | null>> {
    const seen = await resultsByRuntime<{ pid: number; devices: string | null }>(stack.url(api), runtimes);
    return new Map([...seen].map(([pid, result]) => [pid, result.devices]));
  }

  it("gives each runtime a GPU of its own, and shows them on the API's status", async () => {
    const seen = await devicesByRuntime("on-gpus", 2);
    assert.equal(seen.size, 2, "both runtimes answered");
    assert.deepEqual([...seen.values()].sort(), ["0", "1"]);
    const status = await (await ApiRegistry.open(stack.platform.nc)).status("on-gpus");
    assert.deepEqual(status?.gpus, [["0"], ["1"]]);
  });

  it("shows an API that asks for no GPU none of them", async () => {
    const seen = await devicesByRuntime("on-cpu", 1);
    assert.deepEqual([...seen.values()], [""]);
    const status = await (await ApiRegistry.open(stack.platform.nc)).status("on-cpu");
    assert.equal(status?.gpus, undefined);
  });
});

/**
 * Two APIs that need a GPU each runtime, on a machine with two, scaling as their queues ask (a
 * 250 ms autoscaler tick): the GPUs go to whichever runtimes run, not to the APIs when they start.
 */
describe("GPUs leased to runtimes as the autoscalers ask", { timeout: 120_000 }, () => {
  let stack: TestPlatform;
  let registry: ApiRegistry;

  before(async () => {
    stack = await startPlatform(["gpu-leases"], { gpus: ["0", "1"], autoscaleTickMs: 250 });
    registry = await ApiRegistry.open(stack.platform.nc);
  });
  after(async () => stack?.stop());

  /** The API's status, read every 100 ms until `done` holds it (bounded). */
  async function follow(api: string, done: (s: ApiStatus) => boolean, limitMs: number): Promise<ApiStatus> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const status = await registry.status(api);
      if (status && done(status)) return status;
      assert.ok(Date.now() < deadline, `${api}: gave up after ${limitMs} ms; last status ${JSON.stringify(status)}`);
      await sleep(100);
    }
  }

  /** Submits `count` requests that each take `seconds`, and the devices their runtimes saw once done. */
  async function burst(api: string, count: number, seconds: number) {
    const url = stack.url(api);
    const body = JSON.stringify({ sleep: seconds });
    const ids = await Promise.all(Array.from({ length: count }, () => submit(url, body, "application/json")));
    return async (): Promise<Set<string | null>> => {
      const done = await Promise.all(ids.map((id) => waitFor(url, id, isFinal, 60_000)));
      done.forEach((d) => assert.equal(d.body["status"], "completed", JSON.stringify(d.body)));
      return new Set(done.map((d) => (d.body["result"] as { devices: string | null }).devices));
    };
  }

  it("scales one API over the free GPUs, holds the other at zero saying why, and hands the GPUs over as the first scales to zero", async () => {
    const firstDevices = await burst("first", 8, 1.5);
    const busy = await follow("first", (s) => s.ready === 2, 30_000);
    assert.deepEqual(busy.gpus?.map((d) => d.join(",")).sort(), ["0", "1"]);

    const waiting = await submit(stack.url("second"), JSON.stringify({ sleep: 0 }), "application/json");
    const held = await follow("second", (s) => s.autoscaler?.heldBy != null, 30_000);
    assert.equal(held.replicas, 0);
    assert.equal(held.autoscaler?.heldBy, "2 of 2 GPUs are leased to other APIs (first: 2)");
    const cli = runCli(["get", "second", "-o", "json"], platformState());
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const row = JSON.parse(cli.stdoutLines.join("\n")) as { autoscaler?: { heldBy: string | null } };
    assert.match(row.autoscaler?.heldBy ?? "", /GPUs? (is|are) leased to other APIs \(first: [12]\)/);

    assert.deepEqual([...(await firstDevices())].sort(), ["0", "1"], "first ran on both GPUs");
    const done = await waitFor(stack.url("second"), waiting, isFinal, 60_000);
    const device = (done.body["result"] as { devices: string }).devices;
    assert.ok(["0", "1"].includes(device), `second ran on ${device}, once first gave a GPU back`);

    const idle = await follow("first", (s) => s.replicas === 0 && s.ready === 0 && s.gpus?.length === 0, 60_000);
    assert.equal(idle.autoscaler?.heldBy, null);
    const secondDevices = await burst("second", 8, 1);
    await follow("second", (s) => s.ready === 2, 30_000);
    assert.deepEqual([...(await secondDevices())].sort(), ["0", "1"], "second took both GPUs first gave back");
  });
});
