import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  claimEndpoints,
  endpointsOverlap,
  RESERVED_ENDPOINTS,
  reservedEndpointProblem,
  standingClaims,
} from "./endpoints.ts";
import { issuesOf, removeProjects, withApi } from "./test-project.ts";

const T = { timeout: 10_000 };

describe("endpoint rules", () => {
  after(removeProjects);

  test("endpoints overlap when equal or one is a whole-segment prefix of the other", T, () => {
    assert.ok(endpointsOverlap("/hello", "/hello"));
    assert.ok(endpointsOverlap("/hello", "/hello/healthz"));
    assert.ok(endpointsOverlap("/a/b/c", "/a"));
    assert.ok(!endpointsOverlap("/hello", "/hello2"));
    assert.ok(!endpointsOverlap("/a/b", "/a/c"));
  });

  test("glia's own paths, and the paths above and below them, are reserved", T, () => {
    for (const endpoint of [...RESERVED_ENDPOINTS, "/_glia/dashboard", "/metrics/x", "/HealthZ"]) {
      assert.match(reservedEndpointProblem(endpoint) ?? "", /reserved for glia's own pages/, endpoint);
    }
    for (const endpoint of ["/_gliax", "/metrics2", "/api/metrics", "/health"]) {
      assert.equal(reservedEndpointProblem(endpoint), null, endpoint);
    }
  });

  test("cortex.yaml refuses reserved endpoints", T, async () => {
    const found = await issuesOf([withApi({ networking: { endpoint: "/_glia/docs" } })]);
    assert.deepEqual(
      found.map((i) => i.path),
      ["networking.endpoint"],
    );
    assert.match(found[0]!.message, /^`\/_glia\/docs` is not allowed: `\/_glia` and the paths below it are reserved/);
  });

  test("cortex.yaml refuses an endpoint inside another API's, either way round", T, async () => {
    const nested = await issuesOf([
      withApi({ name: "hello" }),
      withApi({ name: "probe", networking: { endpoint: "/hello/healthz" } }),
    ]);
    assert.deepEqual(
      nested.map((i) => [i.api, i.path]),
      [["probe", "networking.endpoint"]],
    );
    assert.match(nested[0]!.message, /overlaps `hello`'s endpoint `\/hello`/);
    const above = await issuesOf([
      withApi({ name: "deep", networking: { endpoint: "/a/b" } }),
      withApi({ name: "top", networking: { endpoint: "/a" } }),
    ]);
    assert.deepEqual(
      above.map((i) => [i.api, i.path]),
      [["top", "networking.endpoint"]],
    );
  });

  test("claims: a new endpoint is free, a taken, nested or reserved one is refused", T, () => {
    const claimed = new Map([["hello", "/hello"]]);
    assert.deepEqual(claimEndpoints(claimed, [{ api: "other", endpoint: "/other" }]).problems, []);
    const taken = claimEndpoints(claimed, [{ api: "evil", endpoint: "/hello" }]).problems;
    assert.deepEqual(
      taken.map((p) => p.api),
      ["evil"],
    );
    assert.match(taken[0]!.message, /^endpoint `\/hello` is already used by `hello`; choose another endpoint/);
    const nested = claimEndpoints(claimed, [{ api: "probe", endpoint: "/hello/healthz" }]).problems;
    assert.match(nested[0]!.message, /lies inside `\/hello`, the endpoint of `hello`/);
    assert.match(claimEndpoints(claimed, [{ api: "m", endpoint: "/metrics" }]).problems[0]!.message, /reserved/);
  });

  test("claims: an API may move, and two APIs of one deploy may not share", T, () => {
    const claimed = new Map([["hello", "/hello"]]);
    const moved = claimEndpoints(claimed, [{ api: "hello", endpoint: "/hi" }]);
    assert.deepEqual([moved.problems, [...moved.claims]], [[], [["hello", "/hi"]]]);
    const both = claimEndpoints(claimed, [
      { api: "a", endpoint: "/x" },
      { api: "b", endpoint: "/x/y" },
    ]);
    assert.deepEqual(
      both.problems.map((p) => p.api),
      ["b"],
    );
  });

  test("a claim written around the rules stands for neither side", T, () => {
    const { held, problems } = standingClaims(
      new Map([
        ["hello", "/hello"],
        ["evil", "/hello"],
        ["ok", "/ok"],
        ["probe", "/readyz"],
      ]),
    );
    assert.deepEqual([...held], [["ok", "/ok"]]);
    assert.deepEqual(
      problems.map((p) => p.api),
      ["hello", "evil", "probe"],
    );
  });
});
