import assert from "node:assert/strict";
import { after, describe, it, test } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProject } from "./load.ts";
import { checkCase, makeProject, removeProjects, withApi, type InvalidCase } from "./test-project.ts";

const T = { timeout: 10_000 };
const SURGE =
  "is not a valid value - must be an integer percentage (e.g. 25%, to denote a percentage of desired replicas) or a positive integer (e.g. 5, to denote a number of replicas)";
const auto = (autoscaling: Record<string, unknown>): Record<string, unknown> => ({ autoscaling });

const INVALID: InvalidCase[] = [
  {
    title: "min_replicas negative (0 is allowed: scale to zero)",
    api: auto({ min_replicas: -1 }),
    issues: [["autoscaling.min_replicas", "-1 must be greater than or equal to 0"]],
  },
  {
    title: "max_replicas zero",
    api: auto({ max_replicas: 0 }),
    issues: [["autoscaling.max_replicas", "0 must be greater than 0"]],
  },
  {
    title: "init_replicas zero below a min_replicas of 1",
    api: auto({ init_replicas: 0 }),
    issues: [["autoscaling.init_replicas", "init_replicas cannot be less than min_replicas (0 < 1)"]],
  },
  {
    title: "min above max",
    api: auto({ min_replicas: 5, max_replicas: 2 }),
    issues: [
      ["autoscaling.min_replicas", "min_replicas cannot be greater than max_replicas (5 > 2)"],
      ["autoscaling.init_replicas", "init_replicas cannot be greater than max_replicas (5 > 2)"],
    ],
  },
  {
    title: "init above max",
    api: auto({ init_replicas: 200 }),
    issues: [["autoscaling.init_replicas", "init_replicas cannot be greater than max_replicas (200 > 100)"]],
  },
  {
    title: "init below min",
    api: auto({ min_replicas: 3, init_replicas: 2 }),
    issues: [["autoscaling.init_replicas", "init_replicas cannot be less than min_replicas (2 < 3)"]],
  },
  {
    title: "min_replicas fractional",
    api: auto({ min_replicas: 1.5 }),
    issues: [["autoscaling.min_replicas", "1.5: invalid type (expected integer)"]],
  },
  {
    title: "target_replica_concurrency zero",
    api: auto({ target_replica_concurrency: 0 }),
    issues: [["autoscaling.target_replica_concurrency", "0 must be greater than 0"]],
  },
  {
    title: "target above max concurrency",
    api: auto({ target_replica_concurrency: 2000 }),
    issues: [
      [
        "autoscaling.target_replica_concurrency",
        "target_replica_concurrency (2000) cannot be greater than max_replica_concurrency (1024)",
      ],
    ],
  },
  {
    title: "max_replica_concurrency above 30000",
    api: auto({ max_replica_concurrency: 30001 }),
    issues: [["autoscaling.max_replica_concurrency", "30001 must be less than or equal to 30000"]],
  },
  {
    title: "window below 10s",
    api: auto({ window: "5s" }),
    issues: [["autoscaling.window", "`5s` must be greater than or equal to `10s`"]],
  },
  {
    title: "window not a multiple of 10s",
    api: auto({ window: "15s" }),
    issues: [["autoscaling.window", "`15s` is not a multiple of `10s`"]],
  },
  {
    title: "window not a duration",
    api: auto({ window: "a minute" }),
    issues: [["autoscaling.window", "`a minute`: invalid duration, some valid examples are 60s, 5m, 1h30m"]],
  },
  {
    title: "window a number",
    api: auto({ window: 60 }),
    issues: [["autoscaling.window", "60: invalid type (expected string)"]],
  },
  {
    title: "downscale period negative",
    api: auto({ downscale_stabilization_period: "-1m" }),
    issues: [["autoscaling.downscale_stabilization_period", "`-1m` must be greater than or equal to `0s`"]],
  },
  {
    title: "upscale period without a unit",
    api: auto({ upscale_stabilization_period: "30" }),
    issues: [
      ["autoscaling.upscale_stabilization_period", "`30`: invalid duration, some valid examples are 60s, 5m, 1h30m"],
    ],
  },
  {
    title: "max_downscale_factor 1",
    api: auto({ max_downscale_factor: 1 }),
    issues: [["autoscaling.max_downscale_factor", "1 must be less than 1"]],
  },
  {
    title: "max_upscale_factor 1",
    api: auto({ max_upscale_factor: 1 }),
    issues: [["autoscaling.max_upscale_factor", "1 must be greater than 1"]],
  },
  {
    title: "downscale_tolerance negative",
    api: auto({ downscale_tolerance: -0.1 }),
    issues: [["autoscaling.downscale_tolerance", "-0.1 must be greater than or equal to 0"]],
  },
  {
    title: "downscale_tolerance 1",
    api: auto({ downscale_tolerance: 1 }),
    issues: [["autoscaling.downscale_tolerance", "1 must be less than 1"]],
  },
  {
    title: "upscale_tolerance negative",
    api: auto({ upscale_tolerance: -1 }),
    issues: [["autoscaling.upscale_tolerance", "-1 must be greater than or equal to 0"]],
  },
  {
    title: "unknown autoscaling key",
    api: auto({ target_in_flight: 4 }),
    issues: [["autoscaling.target_in_flight", "key `target_in_flight` is not supported"]],
  },
  {
    title: "surge and unavailable both zero",
    api: { update_strategy: { max_surge: 0, max_unavailable: "0%" } },
    issues: [["update_strategy", "max_surge and max_unavailable cannot both be zero"]],
  },
  {
    title: "max_surge above 100%",
    api: { update_strategy: { max_surge: "150%" } },
    issues: [["update_strategy.max_surge", `\`150%\` ${SURGE}`]],
  },
  {
    title: "max_unavailable negative",
    api: { update_strategy: { max_unavailable: -1 } },
    issues: [["update_strategy.max_unavailable", `\`-1\` ${SURGE}`]],
  },
  {
    title: "max_unavailable a fraction",
    api: { update_strategy: { max_unavailable: "0.5" } },
    issues: [["update_strategy.max_unavailable", `\`0.5\` ${SURGE}`]],
  },
];

describe("invalid autoscaling and update_strategy", () => {
  after(removeProjects);
  for (const row of INVALID) test(row.title, T, () => checkCase(row));
});

async function specOf(patch: Record<string, unknown>) {
  const project = await loadProject(makeProject({ "cortex.yaml": [withApi(patch)] }));
  const spec = project.apis[0];
  assert.ok(spec);
  return spec;
}

describe("valid autoscaling and update_strategy", () => {
  after(removeProjects);

  test("converts durations to seconds and keeps the rest", T, async () => {
    const autoscaling = {
      min_replicas: 2,
      max_replicas: 8,
      target_replica_concurrency: 2.5,
      window: "1m30s",
      downscale_stabilization_period: "0s",
      upscale_stabilization_period: "1.5m",
      max_downscale_factor: 0,
      upscale_tolerance: 0,
    };
    const spec = await specOf({ autoscaling });
    assert.deepEqual(spec.autoscaling, {
      minReplicas: 2,
      maxReplicas: 8,
      initReplicas: 2,
      targetReplicaConcurrency: 2.5,
      maxReplicaConcurrency: 1024,
      windowSeconds: 90,
      downscaleStabilizationPeriodSeconds: 0,
      upscaleStabilizationPeriodSeconds: 90,
      maxDownscaleFactor: 0,
      maxUpscaleFactor: 1.5,
      downscaleTolerance: 0.05,
      upscaleTolerance: 0,
    });
  });

  test(
    "takes min_replicas 0 (scale to zero), starting with no runtime unless init_replicas says otherwise",
    T,
    async () => {
      const idle = await specOf({ autoscaling: { min_replicas: 0 } });
      assert.deepEqual([idle.autoscaling.minReplicas, idle.autoscaling.initReplicas], [0, 0]);
      const warm = await specOf({ autoscaling: { min_replicas: 0, init_replicas: 2 } });
      assert.deepEqual([warm.autoscaling.minReplicas, warm.autoscaling.initReplicas], [0, 2]);
    },
  );

  test("takes integers and percentages for the update strategy", T, async () => {
    const spec = await specOf({ update_strategy: { max_surge: 1, max_unavailable: "0%" } });
    assert.deepEqual(spec.updateStrategy, { maxSurge: "1", maxUnavailable: "0%" });
  });
});

describe("the glia section", () => {
  it("limits queued requests per API, when set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "glia-config-"));
    try {
      await writeFile(join(dir, "handler.py"), "class Handler:\n    pass\n");
      const base = "- name: a\n  kind: AsyncAPI\n  handler: {type: python, path: handler.py}\n";
      await writeFile(join(dir, "cortex.yaml"), `${base}  glia: {max_queued_requests: 50}\n`);
      assert.equal((await loadProject(dir)).apis[0]!.glia.maxQueuedRequests, 50);
      await writeFile(join(dir, "cortex.yaml"), `${base}  glia: {max_queued_requests: 0}\n`);
      await assert.rejects(
        loadProject(dir),
        /a \(AsyncAPI\): glia\.max_queued_requests: 0 must be greater than or equal to 1/,
      );
      await writeFile(join(dir, "cortex.yaml"), `${base}  glia: {queue: 3}\n`);
      await assert.rejects(loadProject(dir), /glia\.queue: key `queue` is not supported/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
