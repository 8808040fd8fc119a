import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../observability/index.ts";
import type { HandlerSeries } from "../runtime/index.ts";
import { handlerFamilies, warnOnce } from "./metrics.ts";

const counter = (name: string, tags: Record<string, string>, value = 1): HandlerSeries => ({
  kind: "counter",
  name,
  tags,
  value,
  count: 1,
});

/** handlerFamilies on one replica's series; returns the families and every reason given for a drop. */
function families(series: unknown[]): { names: string[]; labels: unknown[]; problems: string[] } {
  const problems: string[] = [];
  const out = handlerFamilies("demo", [{ replica: 0, series: series as HandlerSeries[] }], (p) => problems.push(p));
  return { names: out.map((f) => f.name), labels: out.flatMap((f) => f.values.map((v) => v.labels)), problems };
}

describe("handler series from a runtime", () => {
  it("become families with the tags as labels, plus api and replica", () => {
    const histogram: HandlerSeries = {
      kind: "histogram",
      name: "latency",
      tags: { stage: "infer" },
      count: 2,
      sum: 0.3,
      buckets: [
        [0.1, 1],
        [1, 2],
      ],
    };
    const out = handlerFamilies(
      "demo",
      [{ replica: 1, series: [counter("hits", { model: "a" }, 3), histogram] }],
      () => {
        assert.fail("nothing is dropped");
      },
    );
    assert.deepEqual(out[0]?.values, [{ value: 3, labels: { model: "a", api: "demo", replica: "1" } }]);
    assert.deepEqual(
      out[1]?.values.map((v) => [v.metricName, v.labels["le"], v.value]),
      [
        ["latency_bucket", 0.1, 1],
        ["latency_bucket", 1, 2],
        ["latency_bucket", "+Inf", 2],
        ["latency_sum", undefined, 0.3],
        ["latency_count", undefined, 2],
      ],
    );
  });

  it("drops a series whose tag key forges a sample, says why, and keeps the others", () => {
    const forged = 'model"} 1\nforged_total{a="';
    const { names, labels, problems } = families([counter("hits", { [forged]: "x" }), counter("ok", { model: "a" })]);
    assert.deepEqual(names, ["ok"]);
    assert.deepEqual(labels, [{ model: "a", api: "demo", replica: "0" }]);
    assert.deepEqual(problems, [
      `replica 0: metric "hits": tag key ${JSON.stringify(forged)} must match [a-zA-Z_][a-zA-Z0-9_]*`,
    ]);
  });

  const hostile: Array<[string, unknown, RegExp]> = [
    ["a name that is not a metric name", counter('x{a="b"} 1\ny', {}), /the name must match \[a-zA-Z_:\]/],
    ["a name with glia's prefix", counter("glia_requests_total", {}), /the prefix glia_ is reserved/],
    ["a tag key starting with __", counter("x", { __name__: "y" }), /tag key "__name__" must not start with __/],
    ["a tag key glia adds itself", counter("x", { replica: "9" }), /tag key "replica" glia adds this label itself/],
    ["a histogram's le tag", counter("x", { le: "1" }), /tag key "le" glia adds this label itself/],
    ["a tag value that is not a string", { ...counter("x", {}), tags: { a: 1 } }, /value of tag "a" is not a string/],
    ["tags that are not an object", { ...counter("x", {}), tags: ["a"] }, /tags are not an object/],
    ["a value that is not a number", { ...counter("x", {}), value: "1\nforged 2" }, /value is not a finite number/],
    ["an unknown kind", { ...counter("x", {}), kind: "counter\n# TYPE" }, /unknown kind "counter\\n# TYPE"/],
    ["malformed buckets", { kind: "histogram", name: "h", tags: {}, count: 1, sum: 1, buckets: [["1", 1]] }, /buckets/],
    ["a series that is not an object", "x", /not an object/],
  ];
  for (const [what, series, problem] of hostile) {
    it(`drops ${what}`, () => {
      const { names, problems } = families([series, counter("ok", {})]);
      assert.deepEqual(names, ["ok"]);
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? "", problem);
    });
  }

  it("drops a series whose kind differs from the same name on another replica", () => {
    const problems: string[] = [];
    const gauge: HandlerSeries = { kind: "gauge", name: "hits", tags: {}, value: 1, count: 1 };
    const out = handlerFamilies(
      "demo",
      [
        { replica: 0, series: [counter("hits", {})] },
        { replica: 1, series: [gauge] },
      ],
      (p) => problems.push(p),
    );
    assert.equal(out[0]?.values.length, 1);
    assert.deepEqual(problems, ['replica 1: metric "hits": recorded as a counter by another replica, here as a gauge']);
  });
});

describe("warnOnce", () => {
  it("logs each distinct problem once, up to its limit", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const warn = warnOnce(createLogger({ destination: sink }), 2);
    for (const problem of ["a", "a", "b", "c", "a"]) warn(problem);
    const logged = lines.map((l) => JSON.parse(l) as { level: string; problem: string; msg: string });
    assert.deepEqual(
      logged.map((l) => [l.level, l.problem]),
      [
        ["warn", "a"],
        ["warn", "b"],
      ],
    );
    assert.equal(logged[0]?.msg, "a handler metric series was left out of /metrics");
  });
});
