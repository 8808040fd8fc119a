import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RouteTable } from "./routes.ts";

describe("route table", () => {
  const a = { api: "a", endpoint: "/a" };
  const nested = { api: "b", endpoint: "/team/b" };
  const table = new RouteTable([a, nested]);

  it("matches submits with and without a trailing slash", () => {
    assert.deepEqual(table.match("/a"), { kind: "submit", route: a });
    assert.deepEqual(table.match("/a/"), { kind: "submit", route: a });
    assert.deepEqual(table.match("/team/b"), { kind: "submit", route: nested });
  });

  it("matches record reads and per-API health", () => {
    assert.deepEqual(table.match("/a/123"), { kind: "record", route: a, id: "123" });
    assert.deepEqual(table.match("/team/b/xyz/"), { kind: "record", route: nested, id: "xyz" });
    assert.deepEqual(table.match("/a/healthz"), { kind: "health", route: a });
  });

  it("matches nothing else", () => {
    for (const path of ["/", "/b", "/team", "/a/1/2", "/aa", "/a//"]) {
      const m = table.match(path);
      assert.ok(m === null || (m.kind === "record" && m.id === ""), `${path} → ${JSON.stringify(m)}`);
    }
  });
});
