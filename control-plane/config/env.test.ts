import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cacheDir, defaultDataDir, gliaEnvironment, SHARED_CACHE_DIR, stateFilePath } from "./env.ts";

describe("glia's environment variables", () => {
  it("have their defaults when unset or empty", () => {
    const env = gliaEnvironment({ HOME: "/home/u", GLIA_PYTHON: "", INIT_CWD: "" });
    assert.equal(env.python, "python3");
    assert.equal(env.docker, "docker");
    assert.equal(env.cacheDir, null);
    assert.equal(env.invocationDir, process.cwd());
    assert.equal(cacheDir(false, env), "/home/u/.cache/glia");
    assert.equal(cacheDir(true, env), SHARED_CACHE_DIR);
    assert.equal(stateFilePath(env), "/home/u/.local/state/glia/platform.json");
    assert.equal(defaultDataDir(env), "/home/u/.local/share/glia");
  });

  it("take what is set, GLIA_CACHE_DIR before the shared cache and XDG folders", () => {
    const env = gliaEnvironment({
      HOME: "/home/u",
      GLIA_CACHE_DIR: "/srv/cache",
      XDG_STATE_HOME: "/x/state",
      XDG_DATA_HOME: "/x/data",
      NATS_NKEY: "/k/worker.nk",
    });
    assert.equal(cacheDir(true, env), "/srv/cache");
    assert.equal(stateFilePath(env), "/x/state/glia/platform.json");
    assert.equal(defaultDataDir(env), "/x/data/glia");
    assert.equal(env.nats.nkeyFile, "/k/worker.nk");
  });

  it("keep an empty GLIA_GPUS as 'no GPU', and fall back to CUDA_VISIBLE_DEVICES", () => {
    assert.equal(gliaEnvironment({ GLIA_GPUS: "", CUDA_VISIBLE_DEVICES: "0" }).gpus, "");
    assert.equal(gliaEnvironment({ CUDA_VISIBLE_DEVICES: "0,1" }).gpus, "0,1");
    assert.equal(gliaEnvironment({}).gpus, null);
  });
});
