import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { threadEnvironment, threadsPerRuntime, THREAD_VARIABLES } from "./threads.ts";

describe("threads per runtime", () => {
  it("share the cores among the API's runtimes", () => {
    assert.equal(threadsPerRuntime({ cpu: "200m", replicas: 1, cores: 8 }), 8);
    assert.equal(threadsPerRuntime({ cpu: "200m", replicas: 2, cores: 8 }), 4);
    assert.equal(threadsPerRuntime({ cpu: null, replicas: 3, cores: 8 }), 2);
  });

  it("never go below one, even with more runtimes than cores", () => {
    assert.equal(threadsPerRuntime({ cpu: "200m", replicas: 5, cores: 2 }), 1);
    assert.equal(threadsPerRuntime({ cpu: "100m", replicas: 1, cores: 1 }), 1);
  });

  it("are no more than the whole cores compute.cpu asks for", () => {
    assert.equal(threadsPerRuntime({ cpu: "2", replicas: 1, cores: 8 }), 2);
    assert.equal(threadsPerRuntime({ cpu: "1500m", replicas: 1, cores: 8 }), 1);
    assert.equal(threadsPerRuntime({ cpu: "2.9", replicas: 2, cores: 8 }), 2);
    // Asking for more than the share does not raise it.
    assert.equal(threadsPerRuntime({ cpu: "6", replicas: 2, cores: 8 }), 4);
  });

  it("set every library's variable, except those the user set", () => {
    const all = threadEnvironment(3);
    assert.deepEqual(Object.keys(all), [...THREAD_VARIABLES]);
    assert.ok(Object.values(all).every((v) => v === "3"));

    const some = threadEnvironment(3, { OMP_NUM_THREADS: "1" }, { MKL_NUM_THREADS: "2", OPENBLAS_NUM_THREADS: "" });
    assert.equal(some["OMP_NUM_THREADS"], undefined, "handler.env's value is kept");
    assert.equal(some["MKL_NUM_THREADS"], undefined, "glia's own environment's value is kept");
    assert.equal(some["OPENBLAS_NUM_THREADS"], "3", "an empty value counts as unset");
    assert.equal(some["TF_NUM_INTRAOP_THREADS"], "3");
  });
});
