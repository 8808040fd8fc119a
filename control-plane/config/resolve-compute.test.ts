import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadProject } from "./load.ts";
import { checkCase, makeProject, removeProjects, withApi, type InvalidCase } from "./test-project.ts";

const T = { timeout: 10_000 };

const INVALID: InvalidCase[] = [
  {
    title: "cpu below 20m",
    api: { compute: { cpu: "10m" } },
    issues: [["compute.cpu", "`10m` must be greater than or equal to `20m`"]],
  },
  {
    title: "cpu number below 20m",
    api: { compute: { cpu: 0.01 } },
    issues: [["compute.cpu", "`0.01` must be greater than or equal to `20m`"]],
  },
  {
    title: "cpu not a quantity",
    api: { compute: { cpu: "two" } },
    issues: [["compute.cpu", "`two`: invalid quantity, some valid examples are 1, 200m, 500Mi, 2G"]],
  },
  {
    title: "cpu a boolean",
    api: { compute: { cpu: true } },
    issues: [["compute.cpu", "`true`: invalid type (expected string or number)"]],
  },
  {
    title: "mem below 20Mi",
    api: { compute: { mem: "10Mi" } },
    issues: [["compute.mem", "`10Mi` must be greater than or equal to `20Mi`"]],
  },
  {
    title: "gpu negative",
    api: { compute: { gpu: -1 } },
    issues: [["compute.gpu", "-1 must be greater than or equal to 0"]],
  },
  {
    title: "gpu fractional",
    api: { compute: { gpu: 0.5 } },
    issues: [["compute.gpu", "0.5: invalid type (expected integer)"]],
  },
  {
    title: "inf negative",
    api: { compute: { inf: -1 } },
    issues: [["compute.inf", "-1 must be greater than or equal to 0"]],
  },
  {
    title: "more than one inf",
    api: { compute: { inf: 2 } },
    issues: [["compute.inf", "cannot request 2 Infs (currently only 1 Inf can be used per API replica)"]],
  },
  {
    title: "gpu and inf",
    api: { compute: { gpu: 1, inf: 1 } },
    issues: [["compute", "gpu and inf resources cannot be used together"]],
  },
  {
    title: "node group with a space",
    api: { compute: { node_groups: ["cpu", "gpu spot"] } },
    issues: [["compute.node_groups[1]", "`gpu spot` must contain only letters, numbers, underscores, and dashes"]],
  },
  {
    title: "node group repeated",
    api: { compute: { node_groups: ["cpu", "cpu"] } },
    issues: [["compute.node_groups[1]", "`cpu` is duplicated"]],
  },
  {
    title: "node_groups not a list",
    api: { compute: { node_groups: "cpu" } },
    issues: [["compute.node_groups", "`cpu`: invalid type (expected list)"]],
  },
  {
    title: "unknown compute key",
    api: { compute: { memory: "1Gi" } },
    issues: [["compute.memory", "key `memory` is not supported"]],
  },
  {
    title: "shm_size above mem",
    api: { handler: { shm_size: "2Gi" }, compute: { mem: "1Gi" } },
    issues: [["handler.shm_size", "handler.shm_size (2Gi) cannot exceed compute.mem (1Gi)"]],
  },
  {
    title: "shm_size above mem in other units",
    api: { handler: { shm_size: "1.1G" }, compute: { mem: "1Gi" } },
    issues: [["handler.shm_size", "handler.shm_size (1.1G) cannot exceed compute.mem (1Gi)"]],
  },
];

describe("invalid compute", () => {
  after(removeProjects);
  for (const row of INVALID) test(row.title, T, () => checkCase(row));
});

async function computeOf(compute: unknown) {
  const project = await loadProject(makeProject({ "cortex.yaml": [withApi({ compute })] }));
  return project.apis[0]?.compute;
}

describe("valid compute", () => {
  after(removeProjects);

  test("keeps quantities as written, numbers as text", T, async () => {
    const compute = { cpu: 1, mem: "512Mi", gpu: 1, node_groups: ["gpu_a10", "gpu-l4"] };
    assert.deepEqual(await computeOf(compute), {
      cpu: "1",
      mem: "512Mi",
      gpu: 1,
      inf: 0,
      nodeGroups: ["gpu_a10", "gpu-l4"],
    });
  });

  test("cpu null means no request; an empty section means the defaults", T, async () => {
    assert.equal((await computeOf({ cpu: null }))?.cpu, null);
    assert.deepEqual(await computeOf(null), { cpu: "200m", mem: null, gpu: 0, inf: 0, nodeGroups: null });
  });

  test("accepts the smallest requests and one inf", T, async () => {
    assert.deepEqual(await computeOf({ cpu: "0.02", mem: "20Mi", inf: 1 }), {
      cpu: "0.02",
      mem: "20Mi",
      gpu: 0,
      inf: 1,
      nodeGroups: null,
    });
  });
});
