import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ConfigError } from "./errors.ts";
import { resolveConfig } from "./resolve.ts";
import { BASE_API, issuesOf, makeProject, removeProjects, withApi } from "./test-project.ts";
import type { ResolvedApiSpec } from "./types.ts";

const T = { timeout: 10_000 };
const LIST_OF_MAPS = "cortex YAML configuration files must contain a list of maps (one map per API)";
const pairs = (issues: { path: string; message: string }[]) => issues.map((i) => [i.path, i.message]);

/** Every default of the spec, for `BASE_API` (name, kind, handler type and path only). */
const DEFAULTS: ResolvedApiSpec = {
  name: "iris",
  kind: "AsyncAPI",
  endpoint: "/iris",
  handler: {
    type: "python",
    path: "handler.py",
    config: {},
    pythonPath: null,
    image: null,
    env: {},
    logLevel: "info",
    shmSize: null,
    dependencies: { pip: "requirements.txt", conda: "conda-packages.txt", shell: "dependencies.sh" },
    models: null,
  },
  compute: { cpu: "200m", mem: null, gpu: 0, inf: 0, nodeGroups: null },
  autoscaling: {
    minReplicas: 1,
    maxReplicas: 100,
    initReplicas: 1,
    targetReplicaConcurrency: 1,
    maxReplicaConcurrency: 1024,
    windowSeconds: 60,
    downscaleStabilizationPeriodSeconds: 300,
    upscaleStabilizationPeriodSeconds: 60,
    maxDownscaleFactor: 0.75,
    maxUpscaleFactor: 1.5,
    downscaleTolerance: 0.05,
    upscaleTolerance: 0.05,
  },
  updateStrategy: { maxSurge: "25%", maxUnavailable: "25%" },
  glia: {
    maxQueuedRequests: null,
    timeoutSeconds: null,
    retries: { maxAttempts: 3, backoffSeconds: 1, onHandlerError: false },
  },
};

describe("resolveConfig", () => {
  after(removeProjects);

  test("fills in every default for a minimal API", T, () => {
    const dir = makeProject();
    assert.deepEqual(resolveConfig([BASE_API], "cortex.yaml", dir), { apis: [DEFAULTS], warnings: [] });
  });

  test("treats empty sections and a null config as their defaults", T, () => {
    const raw = [
      withApi({
        handler: { config: null, env: null },
        compute: null,
        autoscaling: null,
        update_strategy: null,
        networking: null,
      }),
    ];
    assert.deepEqual(resolveConfig(raw, "cortex.yaml", makeProject()).apis, [DEFAULTS]);
  });

  test("resolves several APIs in file order", T, () => {
    const raw = [BASE_API, withApi({ name: "iris-v2", networking: { endpoint: "iris-v2/predict/" } })];
    const { apis } = resolveConfig(raw, "cortex.yaml", makeProject());
    assert.deepEqual(
      apis.map((api) => [api.name, api.endpoint]),
      [
        ["iris", "/iris"],
        ["iris-v2", "/iris-v2/predict"],
      ],
    );
  });

  test("does not change its input", T, () => {
    const raw = [withApi({ handler: { config: { a: [1] } }, compute: { cpu: 1 } })];
    const copy = structuredClone(raw);
    const { apis } = resolveConfig(raw, "cortex.yaml", makeProject());
    (apis[0]?.handler.config["a"] as number[]).push(2);
    assert.deepEqual(raw, copy);
  });

  test("rejects a file that is not a list of maps", T, () => {
    for (const raw of [{ name: "iris" }, "iris", [BASE_API, "iris"], [[BASE_API]]]) {
      const error = catchConfigError(() => resolveConfig(raw, "cortex.yaml", makeProject()));
      assert.deepEqual(error.issues, [{ file: "cortex.yaml", api: null, path: "", message: LIST_OF_MAPS }]);
      assert.equal(error.message, `cortex.yaml: ${LIST_OF_MAPS}`);
    }
  });

  test("rejects a file without APIs", T, () => {
    for (const raw of [[], null, undefined]) {
      const error = catchConfigError(() => resolveConfig(raw, "cortex.yaml", makeProject()));
      assert.equal(error.message, "cortex.yaml: at least one API must be configured");
    }
  });
});

describe("problems across the file", () => {
  after(removeProjects);

  test("collects every problem of every API into one error", T, async () => {
    const config = [
      withApi({ name: "a", handler: { type: "onnx", env: { CORTEX_X: "1", N: 1 } }, compute: { cpu: "1m", gpu: -1 } }),
      withApi({ name: "b", kind: "RealtimeAPI" }),
      withApi({ name: undefined, kind: "Async", autoscaling: { min_replicas: "one", window: "15s" }, extra: true }),
    ];
    const issues = await issuesOf(config);
    assert.deepEqual(
      issues.map((i) => [i.api, i.path]),
      [
        ["a", "handler.env.N"],
        ["a", "handler.type"],
        ["a", "handler.env.CORTEX_X"],
        ["a", "compute.gpu"],
        ["a", "compute.cpu"],
        ["b", "kind"],
        [null, "[2].autoscaling.min_replicas"],
        [null, "[2].extra"],
        [null, "[2].name"],
        [null, "[2].kind"],
        [null, "[2].autoscaling.window"],
      ],
    );
  });

  test("formats one line per problem, naming file, API and field", T, () => {
    const raw = [withApi({ compute: { gpu: -1 } }), withApi({ name: "x", kind: "AsyncAPI", handler: null })];
    const error = catchConfigError(() => resolveConfig(raw, "apis/cortex.yaml", makeProject()));
    assert.equal(error.code, "CONFIG_INVALID");
    assert.equal(
      error.message,
      [
        "apis/cortex.yaml: iris (AsyncAPI): compute.gpu: -1 must be greater than or equal to 0",
        "apis/cortex.yaml: x (AsyncAPI): handler: must be defined",
      ].join("\n"),
    );
  });

  test("a wrong type in one field does not hide a rule broken by its neighbour", T, async () => {
    const issues = await issuesOf([withApi({ autoscaling: { max_replicas: "ten", min_replicas: -1 } })]);
    assert.deepEqual(pairs(issues), [
      ["autoscaling.max_replicas", "`ten`: invalid type (expected integer)"],
      ["autoscaling.min_replicas", "-1 must be greater than or equal to 0"],
    ]);
  });

  test("names must be unique", T, async () => {
    const issues = await issuesOf([BASE_API, withApi({ networking: { endpoint: "/other" } })]);
    assert.deepEqual(pairs(issues), [["name", "name `iris` must be unique across apis"]]);
  });

  test("endpoints must be unique, defaults included", T, async () => {
    const issues = await issuesOf([BASE_API, withApi({ name: "b", networking: { endpoint: "iris/" } })]);
    assert.deepEqual(
      issues.map((i) => [i.api, i.path, i.message]),
      [["b", "networking.endpoint", "endpoint `/iris` must be unique across apis (also used by `iris`)"]],
    );
  });
});

function catchConfigError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail("expected a ConfigError");
}
