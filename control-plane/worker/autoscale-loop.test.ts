import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../observability/index.ts";
import { AutoscaleLoop, type ScaleState } from "./autoscale-loop.ts";
import type { AutoscaleSettings } from "./autoscale.ts";

/** Windows of one tick and no stabilization: every tick follows the load. */
const FAST: AutoscaleSettings = {
  minReplicas: 1,
  maxReplicas: 4,
  targetReplicaConcurrency: 1,
  windowMs: 20,
  downscaleStabilizationMs: 0,
  upscaleStabilizationMs: 0,
  maxDownscaleFactor: 0.5,
  maxUpscaleFactor: 4,
  downscaleTolerance: 0,
  upscaleTolerance: 0,
};

/** A target that records each resize and lets a test wait for the count it expects. */
function recorder() {
  const sizes: number[] = [];
  const waiters: Array<{ size: number; done: () => void }> = [];
  return {
    sizes,
    resize: async (n: number) => {
      sizes.push(n);
      for (const w of waiters.filter((w) => w.size === n)) w.done();
    },
    reached: (size: number) =>
      new Promise<void>((done) => (sizes.includes(size) ? done() : waiters.push({ size, done }))),
  };
}

describe("the autoscale loop", () => {
  it("follows the load up to max_replicas and back down to min_replicas", async () => {
    let load = 10;
    const target = recorder();
    const loop = new AutoscaleLoop({
      api: "a",
      settings: FAST,
      initial: 1,
      inFlight: async () => load,
      target,
      logger: silentLogger(),
      tickMs: 10,
    });
    loop.start();
    await target.reached(4);
    load = 0;
    await target.reached(1);
    loop.stop();
    assert.equal(Math.max(...target.sizes), 4, "never above max_replicas");
    assert.equal(loop.state.requested, 1);
  });

  it("wakes an API at zero runtimes as soon as a request waits, without waiting for a tick", async () => {
    let load = 0;
    const target = recorder();
    const loop = new AutoscaleLoop({
      api: "z",
      settings: { ...FAST, minReplicas: 0 },
      initial: 0,
      inFlight: async () => load,
      target,
      logger: silentLogger(),
      tickMs: 3_600_000, // no tick during the test: only the wake poll can act
      wakePollMs: 10,
    });
    loop.start();
    load = 1;
    await target.reached(1);
    loop.stop();
    assert.deepEqual(target.sizes, [1]);
    assert.equal(loop.state.reason, "woken by a queued request");
  });

  it("steps from what runs when capacity held it back, not from what it wanted", async () => {
    const target = recorder();
    let ticks = 0;
    const loop = new AutoscaleLoop({
      api: "c",
      settings: { ...FAST, maxReplicas: 100, maxUpscaleFactor: 1.5 },
      initial: 1,
      inFlight: async () => 100,
      target,
      logger: silentLogger(),
      tickMs: 10,
      // One runtime for the first ten ticks (say, until a GPU is free), then no limit.
      capacity: () => (++ticks <= 10 ? { replicas: 1, why: "no GPU free" } : null),
    });
    loop.start();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (target.sizes.length === 0) return;
        clearInterval(check);
        resolve();
      }, 5);
    });
    loop.stop();
    assert.deepEqual(target.sizes, [2], "one step up from the one runtime that ran (+1 or ×1.5)");
  });

  it("runs no more runtimes than there is capacity for, and says why", async () => {
    const target = recorder();
    const states: ScaleState[] = [];
    const loop = new AutoscaleLoop({
      api: "g",
      settings: FAST,
      initial: 1,
      inFlight: async () => 10,
      target,
      logger: silentLogger(),
      tickMs: 10,
      capacity: () => ({ replicas: 2, why: "only 2 GPUs are free for 1 GPU each" }),
      onState: (s) => states.push(s),
    });
    loop.start();
    await target.reached(2);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (states.length < 3) return;
        clearInterval(check);
        resolve();
      }, 5);
    });
    loop.stop();
    assert.equal(Math.max(...target.sizes), 2);
    const last = states.at(-1)!;
    assert.equal(last.requested, 2);
    assert.equal(last.heldBy, "only 2 GPUs are free for 1 GPU each");
    assert.equal(last.recommendation, 4);
  });

  it(
    "asks capacity for the count it decided, waits for its answer, and runs what it gets",
    { timeout: 10_000 },
    async () => {
      const target = recorder();
      const asked: number[] = [];
      const states: ScaleState[] = [];
      const loop = new AutoscaleLoop({
        api: "l",
        settings: { ...FAST, minReplicas: 0 },
        initial: 0,
        inFlight: async () => 3,
        target,
        logger: silentLogger(),
        tickMs: 10,
        capacity: async (want) => {
          asked.push(want);
          await new Promise((r) => setTimeout(r, 5)); // as an answer over IPC
          return { replicas: 1, why: "2 of 2 GPUs are leased to other APIs (a: 2)" };
        },
        onState: (s) => states.push(s),
      });
      loop.start();
      await target.reached(1);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (states.filter((s) => s.recommendation === 3).length < 2) return;
          clearInterval(check);
          resolve();
        }, 5);
      });
      loop.stop();
      assert.equal(asked[0], 1, "woken: one runtime wanted");
      assert.ok(asked.includes(3), `asked for ${asked.join(", ")}`);
      assert.deepEqual(target.sizes, [1]);
      assert.equal(states.at(-1)!.heldBy, "2 of 2 GPUs are leased to other APIs (a: 2)");
    },
  );

  it(
    "keeps the runtimes it has when capacity cannot be learned, and tries again at the next tick",
    { timeout: 10_000 },
    async () => {
      const target = recorder();
      let calls = 0;
      const loop = new AutoscaleLoop({
        api: "f",
        settings: { ...FAST, maxReplicas: 100, maxUpscaleFactor: 1.5 },
        initial: 1,
        inFlight: async () => 100,
        target,
        logger: silentLogger(),
        tickMs: 10,
        capacity: () => {
          if (++calls <= 3) throw new Error("the platform is not answering");
          return null;
        },
      });
      loop.start();
      await target.reached(2);
      loop.stop();
      assert.deepEqual(
        target.sizes.slice(0, 1),
        [2],
        "one step up from the one runtime that ran, not from what failed",
      );
    },
  );
});
