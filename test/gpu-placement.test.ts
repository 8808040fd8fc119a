import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiRegistry } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, submit } from "./support/http.ts";

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
    const seen = new Map<number, string | null>();
    for (let i = 0; i < 40 && seen.size < runtimes; i++) {
      const ids = await Promise.all([1, 2, 3, 4].map(() => submit(stack.url(api), "{}", "application/json")));
      for (const id of ids) {
        const done = await get(`${stack.url(api)}/${id}?wait=30`);
        const result = done.body["result"] as { pid: number; devices: string | null };
        seen.set(result.pid, result.devices);
      }
    }
    return seen;
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
