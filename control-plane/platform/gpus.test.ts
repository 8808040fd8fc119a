import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gliaEnvironment } from "../config/index.ts";
import { detectGpus, GpuAllocator } from "./gpus.ts";

const env = (vars: NodeJS.ProcessEnv) => gliaEnvironment(vars);

describe("the machine's GPUs", () => {
  it("are GLIA_GPUS when set, else CUDA_VISIBLE_DEVICES, and none when either is empty", async () => {
    assert.deepEqual(await detectGpus(env({ GLIA_GPUS: "0, 2", CUDA_VISIBLE_DEVICES: "1" })), ["0", "2"]);
    assert.deepEqual(await detectGpus(env({ CUDA_VISIBLE_DEVICES: "3,4" })), ["3", "4"]);
    assert.deepEqual(await detectGpus(env({ GLIA_GPUS: "" })), []);
    assert.deepEqual(await detectGpus(env({ CUDA_VISIBLE_DEVICES: "-1" })), []);
  });
});

describe("handing GPUs out to runtimes", () => {
  it("gives each runtime devices of its own while there are enough", () => {
    const gpus = new GpuAllocator(["0", "1", "2", "3"]);
    assert.deepEqual(gpus.assign("a", 2, 1), { devices: [["0"], ["1"]], shared: false, missing: false });
    assert.deepEqual(gpus.assign("b", 1, 2), { devices: [["2", "3"]], shared: false, missing: false });
  });

  it("shares them round-robin, and says so, when too few are free", () => {
    const gpus = new GpuAllocator(["0", "1"]);
    gpus.assign("a", 1, 1);
    assert.deepEqual(gpus.assign("b", 2, 1), { devices: [["0"], ["1"]], shared: true, missing: false });
    assert.deepEqual(gpus.assign("c", 1, 3).devices, [["0", "1"]], "never the same device twice in one runtime");
  });

  it("gives an API that asks for none an empty list, and one on a machine without GPUs an empty list marked missing", () => {
    assert.deepEqual(new GpuAllocator(["0"]).assign("cpu", 2, 0), { devices: [[], []], shared: false, missing: false });
    assert.deepEqual(new GpuAllocator([]).assign("gpu", 1, 1), { devices: [[]], shared: false, missing: true });
  });

  it("lets a redeployed API take its own devices again, and frees them when it is deleted", () => {
    const gpus = new GpuAllocator(["0", "1"]);
    gpus.assign("a", 1, 1);
    assert.deepEqual(gpus.assign("a", 1, 1).devices, [["0"]]);
    assert.equal(gpus.assign("b", 1, 1).devices[0]![0], "1");
    gpus.release("a");
    assert.deepEqual(gpus.assign("c", 1, 1), { devices: [["0"]], shared: false, missing: false });
  });
});
