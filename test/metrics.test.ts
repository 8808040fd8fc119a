import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor, type Answer } from "./support/http.ts";
import { parsePrometheus, type ParsedFamily } from "./support/prometheus.ts";

describe("Prometheus /metrics", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["handler-metrics", "hostile-metrics"]);
  });
  after(async () => stack?.stop());

  it("serves the handler's metrics with their tags as labels, next to glia's own", async () => {
    const url = stack.url("metered");
    for (const [label, seconds] of [
      ["cat", 0.02],
      ["cat", 0.3],
      ["dog", 7],
    ] as const) {
      const done = await waitFor(
        url,
        await submit(url, JSON.stringify({ label, seconds }), "application/json"),
        isFinal,
      );
      assert.match(String((done.body["result"] as { refused: string }).refused), /cortex_reserved.*cortex_/);
    }
    const res = await fetch(`${stack.platform.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const has = (pattern: RegExp): void => assert.match(text, pattern, text);
    has(/^# TYPE predictions counter$/m);
    has(/^predictions\{model="demo",label="cat",api="metered",replica="0"\} 2$/m);
    has(/^predictions\{model="demo",label="dog",api="metered",replica="0"\} 1$/m);
    has(/^model_loaded\{model="demo",api="metered",replica="0"\} 1$/m);
    has(/^# TYPE prediction_seconds histogram$/m);
    has(/^prediction_seconds_bucket\{model="demo",api="metered",replica="0",le="0\.025"\} 1$/m);
    has(/^prediction_seconds_bucket\{model="demo",api="metered",replica="0",le="0\.5"\} 2$/m);
    has(/^prediction_seconds_bucket\{model="demo",api="metered",replica="0",le="\+Inf"\} 3$/m);
    has(/^prediction_seconds_count\{model="demo",api="metered",replica="0"\} 3$/m);
    has(/^glia_submitted_total\{api="metered"\} 3$/m);
    has(/^glia_requests_total\{api="metered",status="completed"\} 3$/m);
    has(/^glia_queue_depth\{api="metered"\} 0$/m);
    has(/^glia_handler_duration_seconds_count\{api="metered"\} 3$/m);
    assert.doesNotMatch(text, /cortex_reserved/);
  });

  it("refuses a tag key that forges a sample, escapes hostile tag values, and serves a page Prometheus parses", async () => {
    const url = stack.url("hostile-metrics");
    const send = async (payload: object): Promise<Answer> =>
      waitFor(url, await submit(url, JSON.stringify(payload), "application/json"), isFinal);
    const text = 'say "hi" to C:\\temp\\n\n} 1\nforged_total{a="b"} 1 é';

    const first = await send({ text });
    assert.equal(first.body["status"], "completed", JSON.stringify(first.body));
    const forged = await send({ forge: true });
    assert.equal(forged.body["status"], "failed", JSON.stringify(forged.body));
    assert.deepEqual(forged.body["error"], {
      type: "ValueError",
      message:
        "metric 'hostile_forged': tag key 'model\"} 1\\nforged_total{a=\"' is invalid: " +
        "a Prometheus label name must match [a-zA-Z_][a-zA-Z0-9_]*",
    });
    // The same runtime process answers after the refusal: nothing crashed or restarted.
    const after = await send({ text });
    assert.equal(after.body["status"], "completed", JSON.stringify(after.body));
    const pid = (a: Answer): unknown => (a.body["result"] as { pid: number }).pid;
    assert.equal(pid(after), pid(first));

    const page = await (await fetch(`${stack.platform.url}/metrics`)).text();
    assert.ok(
      page.includes(
        'hostile_said{text="say \\"hi\\" to C:\\\\temp\\\\n\\n} 1\\nforged_total{a=\\"b\\"} 1 é",' +
          'api="hostile-metrics",replica="0"} 2\n',
      ),
      page,
    );
    const families = await parsePrometheus(page);
    const family = (name: string): ParsedFamily | undefined => families.find((f) => f.name === name);
    // (the client's parser names a counter's samples <name>_total)
    assert.deepEqual(family("hostile_said"), {
      name: "hostile_said",
      type: "counter",
      samples: [{ name: "hostile_said_total", labels: { text, api: "hostile-metrics", replica: "0" }, value: 2 }],
    });
    const names = families.flatMap((f) => [f.name, ...f.samples.map((s) => s.name)]);
    assert.deepEqual(
      names.filter((n) => n.startsWith("forged") || n.startsWith("hostile_forged")),
      [],
      "no forged sample",
    );
    // The rest of the page was read too: the other API's series and glia's own.
    assert.ok(family("predictions")?.samples.some((s) => s.labels["label"] === "cat"));
    assert.ok(family("glia_requests")?.samples.some((s) => s.labels["api"] === "hostile-metrics"));
  });
});
