import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiRegistry } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { resultsByRuntime } from "./support/http.ts";

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
