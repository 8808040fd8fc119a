import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkSchema, pathString } from "./schema.ts";

const T = { timeout: 10_000 };
const BASE = { name: "iris", kind: "AsyncAPI", handler: { type: "python", path: "handler.py" } };

describe("pathString", () => {
  test("joins keys with dots and indexes with brackets", T, () => {
    assert.equal(pathString(["handler", "env", "A"]), "handler.env.A");
    assert.equal(pathString(["compute", "node_groups", 1]), "compute.node_groups[1]");
    assert.equal(pathString([]), "");
  });
});

describe("checkSchema", () => {
  test("passes a well-formed entry through unchanged", T, () => {
    const result = checkSchema(BASE);
    assert.deepEqual(result, { data: BASE, problems: [], broken: new Set() });
  });

  test("reports unknown keys at every depth", T, () => {
    const entry = { ...BASE, foo: 1, handler: { ...BASE.handler, bar: 2, dependencies: { baz: 3 } } };
    const { data, problems, broken } = checkSchema(entry);
    assert.deepEqual(problems, [
      { path: "handler.dependencies.baz", message: "key `baz` is not supported" },
      { path: "handler.bar", message: "key `bar` is not supported" },
      { path: "foo", message: "key `foo` is not supported" },
    ]);
    assert.deepEqual(data, { ...BASE, handler: { ...BASE.handler, dependencies: {} } });
    assert.deepEqual(broken, new Set());
  });

  test("drops wrongly typed fields and remembers them", T, () => {
    const entry = {
      ...BASE,
      name: 5,
      compute: { gpu: "1", cpu: 1 },
      handler: { ...BASE.handler, env: { A: 1, B: "b" } },
    };
    const { data, problems, broken } = checkSchema(entry);
    assert.deepEqual(
      problems.map((p) => p.path),
      ["name", "handler.env.A", "compute.gpu"],
    );
    assert.deepEqual(broken, new Set(["name", "handler.env.A", "compute.gpu"]));
    assert.deepEqual(data, { kind: "AsyncAPI", handler: { ...BASE.handler, env: { B: "b" } }, compute: { cpu: 1 } });
  });

  test("does not change its input", T, () => {
    const entry = { ...BASE, compute: { gpu: "1" } };
    checkSchema(entry);
    assert.deepEqual(entry.compute, { gpu: "1" });
  });
});
