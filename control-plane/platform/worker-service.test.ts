import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { machineCapacity } from "./worker-service.ts";

const api = (cpu: string | null, gpu: number, maxReplicas: number) => ({
  compute: { cpu, gpu },
  autoscaling: { maxReplicas },
});

describe("how many runtimes of an API this machine holds", () => {
  it("is the cores over compute.cpu, unless max_replicas is lower", () => {
    assert.deepEqual(machineCapacity(api("500m", 0, 10), null, 2), {
      replicas: 4,
      why: "this machine's 2 CPU(s) hold 4 runtime(s) of compute.cpu 500m",
    });
    assert.equal(machineCapacity(api("500m", 0, 3), null, 2), null);
    assert.equal(machineCapacity(api("4", 0, 10), null, 2)?.replicas, 1, "always room for one");
    assert.equal(machineCapacity(api(null, 0, 10), null, 2), null);
  });

  it("is the GPU sets handed out for an API that needs GPUs", () => {
    assert.deepEqual(machineCapacity(api("1", 1, 8), [["0"], ["1"]], 16), {
      replicas: 2,
      why: "2 set(s) of 1 GPU(s) were free for it when it started",
    });
  });
});
