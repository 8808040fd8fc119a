import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

describe("Prometheus /metrics", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["handler-metrics"]);
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
});
