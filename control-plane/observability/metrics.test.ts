import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exposition, type MetricFamily } from "./metrics.ts";

const family = (name: string, values: MetricFamily["values"], extra: Partial<MetricFamily> = {}): MetricFamily => ({
  name,
  help: `${name} help`,
  type: "counter",
  aggregator: "sum",
  values,
  ...extra,
});

describe("the Prometheus exposition", () => {
  it("escapes backslashes, double quotes and newlines in label values, and HELP text", async () => {
    const text = await exposition([
      [
        family("said_total", [{ value: 1, labels: { text: 'a "quote", a \\ and a\nnewline' } }], {
          help: "two\nlines \\",
        }),
      ],
    ]);
    assert.equal(
      text,
      [
        "# HELP said_total two\\nlines \\\\",
        "# TYPE said_total counter",
        'said_total{text="a \\"quote\\", a \\\\ and a\\nnewline"} 1',
        "",
      ].join("\n"),
    );
  });

  it("leaves out families and samples it cannot write safely, and keeps the rest", async () => {
    const ok = { value: 2, labels: { model: "a" } };
    const hostile: unknown[] = [
      family('x{a="b"} 1\nforged_total', [ok]),
      family("bad_label", [{ value: 1, labels: { 'a"} 1\nforged_total{b': "c" } }, ok]),
      family("reserved_label", [{ value: 1, labels: { __name__: "forged_total" } }]),
      family("bad_type", [ok], { type: "counter\nforged_total 1" as MetricFamily["type"] }),
      family("bad_aggregator", [ok], { aggregator: "nope" as MetricFamily["aggregator"] }),
      family("bad_value", [{ value: "1\nforged_total 1" as unknown as number, labels: {} }]),
      family("bad_label_value", [{ value: 1, labels: { a: { toString: () => "forged" } as unknown as string } }]),
      family("bad_metric_name", [{ value: 1, labels: {}, metricName: "x 1\nforged_total" }]),
      { name: "no_values", help: "", type: "gauge", aggregator: "sum", values: "x" },
      null,
    ];
    const text = await exposition([hostile as MetricFamily[], "not a list" as unknown as MetricFamily[]]);
    assert.doesNotMatch(text, /forged/);
    assert.equal(
      text,
      ["# HELP bad_label bad_label help", "# TYPE bad_label counter", 'bad_label{model="a"} 2', ""].join("\n"),
    );
  });
});
