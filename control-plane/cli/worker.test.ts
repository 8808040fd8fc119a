import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseGpus } from "./worker.ts";

describe("glia worker --gpus", () => {
  it("gives each runtime its devices, runtimes apart by ';' and devices by ','", () => {
    assert.deepEqual(parseGpus("0,1;2"), [["0", "1"], ["2"]]);
    assert.deepEqual(parseGpus(";"), [[], []]);
    assert.deepEqual(parseGpus(""), [[]]);
    assert.deepEqual(parseGpus("3"), [["3"]]);
    assert.deepEqual(parseGpus("GPU-4a1b, 5"), [["GPU-4a1b", "5"]]);
  });
});
