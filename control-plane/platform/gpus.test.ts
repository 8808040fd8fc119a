import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gliaEnvironment } from "../config/index.ts";
import { detectGpus } from "./gpus.ts";

const env = (vars: NodeJS.ProcessEnv) => gliaEnvironment(vars);

describe("the machine's GPUs", () => {
  it("are GLIA_GPUS when set, else CUDA_VISIBLE_DEVICES, and none when either is empty", async () => {
    assert.deepEqual(await detectGpus(env({ GLIA_GPUS: "0, 2", CUDA_VISIBLE_DEVICES: "1" })), ["0", "2"]);
    assert.deepEqual(await detectGpus(env({ CUDA_VISIBLE_DEVICES: "3,4" })), ["3", "4"]);
    assert.deepEqual(await detectGpus(env({ GLIA_GPUS: "" })), []);
    assert.deepEqual(await detectGpus(env({ CUDA_VISIBLE_DEVICES: "-1" })), []);
  });
});
