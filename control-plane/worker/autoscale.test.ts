import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Autoscaler, TICK_MS, type AutoscaleDecision, type AutoscaleSettings } from "./autoscale.ts";

/** Cortex's defaults (window 60 s, down 5 min, up 1 min, factors 0.75/1.5, tolerances 5 %). */
const CORTEX: AutoscaleSettings = {
  minReplicas: 1,
  maxReplicas: 100,
  targetReplicaConcurrency: 1,
  windowMs: 60_000,
  downscaleStabilizationMs: 300_000,
  upscaleStabilizationMs: 60_000,
  maxDownscaleFactor: 0.75,
  maxUpscaleFactor: 1.5,
  downscaleTolerance: 0.05,
  upscaleTolerance: 0.05,
};

/** Runs the autoscaler tick by tick (sample, then decide) with `inFlight(time)`, from time 0. */
function run(
  settings: AutoscaleSettings,
  initial: number,
  ticks: number,
  inFlight: (now: number) => number,
  scaler = new Autoscaler(settings, initial, 0),
  from = 0,
): { scaler: Autoscaler; decisions: Array<AutoscaleDecision & { at: number }> } {
  const decisions: Array<AutoscaleDecision & { at: number }> = [];
  for (let i = 1; i <= ticks; i++) {
    const at = from + i * TICK_MS;
    scaler.sample(at, inFlight(at));
    decisions.push({ ...scaler.decide(at), at });
  }
  return { scaler, decisions };
}

describe("the autoscaler (Cortex's algorithm, cortex-async-spec §8.1)", () => {
  it("does nothing without a sample", () => {
    const scaler = new Autoscaler(CORTEX, 3, 0);
    assert.deepEqual(scaler.decide(TICK_MS), {
      request: 3,
      recommendation: 3,
      averageInFlight: null,
      reason: "no samples yet",
    });
  });

  it("converges to min(max_replicas, N) with N requests in flight and target 1", () => {
    for (const [n, max] of [
      [7, 100],
      [40, 100],
      [40, 12],
      [1, 100],
    ] as const) {
      const { decisions } = run({ ...CORTEX, maxReplicas: max }, 1, 120, () => n);
      assert.equal(decisions.at(-1)!.request, Math.min(max, n), `N=${n}, max=${max}`);
    }
  });

  it("does not upscale before the upscale period has passed since it started, then steps at most max(+1, ×1.5)", () => {
    const { decisions } = run(CORTEX, 1, 120, () => 50);
    const before = decisions.filter((d) => d.at < CORTEX.upscaleStabilizationMs);
    assert.ok(
      before.every((d) => d.request === 1),
      "no upscale within the first minute",
    );
    let previous = 1;
    for (const d of decisions) {
      assert.ok(d.request <= Math.max(previous + 1, Math.ceil(previous * 1.5)), `${previous} → ${d.request}`);
      previous = d.request;
    }
    assert.equal(decisions.at(-1)!.request, 50);
  });

  it("steps down at most min(−1, ×0.75), and never within the downscale period of a higher recommendation", () => {
    const busy = run(CORTEX, 1, 90, () => 40);
    assert.equal(busy.scaler.current, 40);
    // Each step down waits out the period of the recommendation before it: 40 → 1 takes about an hour.
    const idle = run(CORTEX, 40, 500, () => 0, busy.scaler, 90 * TICK_MS);
    let previous = 40;
    for (const d of idle.decisions) {
      assert.ok(d.request >= Math.min(previous - 1, Math.ceil(previous * 0.75)), `${previous} → ${d.request}`);
      previous = d.request;
    }
    // The window still averages busy samples for a minute; after that the recommendation drops,
    // and the 40 recommended before then holds the count for five more minutes.
    const lastBusy = 90 * TICK_MS;
    const firstLower = idle.decisions.find((d) => d.recommendation < 40)!.at;
    assert.ok(firstLower > lastBusy);
    const held = idle.decisions.filter((d) => d.at < firstLower - TICK_MS + CORTEX.downscaleStabilizationMs);
    assert.ok(
      held.every((d) => d.request === 40),
      "no downscale within 5 min of the higher recommendation",
    );
    assert.equal(idle.decisions.at(-1)!.request, 1, "back to min_replicas");
  });

  it("upscales no further than the lowest recommendation of the last upscale period", () => {
    const scaler = new Autoscaler({ ...CORTEX, maxUpscaleFactor: 100 }, 1, 0);
    // A spike of one tick within a quiet minute: its recommendation is not the minute's minimum.
    run(CORTEX, 1, 12, () => 1, scaler);
    scaler.sample(13 * TICK_MS, 1000);
    const spike = scaler.decide(13 * TICK_MS);
    assert.ok(spike.recommendation > 1);
    assert.equal(spike.request, 1);
    assert.equal(spike.reason, "upscale stabilization period");
  });

  it("keeps the count while the raw recommendation is within a tolerance of it", () => {
    const settings = { ...CORTEX, targetReplicaConcurrency: 10, upscaleTolerance: 0.1, downscaleTolerance: 0.1 };
    const up = run(settings, 4, 20, () => 43); // raw 4.3: within 10 % above 4
    assert.ok(up.decisions.every((d) => d.request === 4 && d.reason === "within tolerance"));
    const down = run(settings, 4, 40, () => 37); // raw 3.7: within 10 % below 4
    assert.ok(down.decisions.every((d) => d.request === 4));
    const out = run(settings, 4, 20, () => 45); // raw 4.5: outside, ceil → 5
    assert.equal(out.decisions.at(-1)!.request, 5);
  });

  it("clamps to [min_replicas, max_replicas]", () => {
    const settings = {
      ...CORTEX,
      minReplicas: 2,
      maxReplicas: 3,
      upscaleStabilizationMs: 0,
      downscaleStabilizationMs: 0,
    };
    assert.equal(run(settings, 2, 30, () => 100).decisions.at(-1)!.request, 3);
    const low = run(settings, 3, 30, () => 0).decisions.at(-1)!;
    assert.deepEqual([low.request, low.reason], [2, "clamped to min_replicas"]);
  });

  it("averages the samples of the window: a short burst moves less than a sustained one", () => {
    const settings = { ...CORTEX, upscaleStabilizationMs: 0 };
    const scaler = new Autoscaler(settings, 1, 0);
    for (let i = 1; i <= 5; i++) scaler.sample(i * TICK_MS, 0);
    scaler.sample(6 * TICK_MS, 12); // window: five zeros and one 12 → average 2
    const d = scaler.decide(6 * TICK_MS);
    assert.equal(d.averageInFlight, 2);
    assert.equal(d.request, 2);
  });

  describe("scale to zero (min_replicas: 0)", () => {
    const zero = { ...CORTEX, minReplicas: 0 };

    it("wakes one replica at the first sample that sees a request, without waiting for the window", () => {
      const scaler = new Autoscaler(zero, 0, 0);
      scaler.sample(TICK_MS, 0);
      assert.equal(scaler.decide(TICK_MS).request, 0);
      scaler.sample(TICK_MS + 1, 1);
      const woken = scaler.decide(TICK_MS + 1);
      assert.deepEqual([woken.request, woken.reason], [1, "woken by a queued request"]);
    });

    it("goes back to zero once idle for the window and the downscale period", () => {
      const { decisions } = run(zero, 1, 60, () => 0);
      const first = decisions.find((d) => d.request === 0)!;
      assert.ok(first.at >= zero.downscaleStabilizationMs, `reached 0 at ${first.at} ms`);
      assert.equal(decisions.at(-1)!.request, 0);
    });

    it("stays at zero with max_replicas 0 (a paused API)", () => {
      const { decisions } = run({ ...zero, maxReplicas: 0 }, 0, 3, () => 5);
      assert.ok(decisions.every((d) => d.request === 0));
    });
  });
});
