import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { DEFAULT_RESULT_TTL_MS, PayloadStore, ResultStore } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, post } from "./support/http.ts";

describe("payloads and results larger than a NATS message", { timeout: 180_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["large-payload"], { maxBodyBytes: 40 * 1024 * 1024 });
  });
  after(async () => stack?.stop());

  it("go through the object store, reach the handler intact, and are removed once the request completes", async () => {
    const url = stack.url("large");
    const body = randomBytes(20 * 1024 * 1024); // the local server's messages stop at 8 MiB
    const res = await post(url, body, "application/octet-stream");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const id = String(res.body["id"]);
    const done = await get(`${url}/${id}?wait=60`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.deepEqual(done.body["result"], {
      bytes: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
    const payloads = await PayloadStore.open(stack.platform.nc);
    assert.equal(await payloads.get("large", id), null, "the stored payload is deleted after completion");
  });

  it("and results larger than a record go to the object store, and GET returns them whole", async () => {
    const url = stack.url("large");
    const res = await post(url, JSON.stringify({ result_bytes: 12 * 1024 * 1024 }), "application/json");
    const id = String(res.body["id"]);
    const done = await get(`${url}/${id}?wait=60`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body).slice(0, 500));
    const result = done.body["result"] as { blob: string; sha256: string };
    assert.equal(result.blob.length, 12 * 1024 * 1024);
    assert.equal(createHash("sha256").update(result.blob).digest("hex"), result.sha256, "the result arrives intact");
    assert.deepEqual((await get(`${url}/${id}`)).body, done.body, "a plain GET answers the same");
    assert.deepEqual(Object.keys(done.body), ["id", "status", "result", "timestamp"]);
    assert.equal(done.headers.get("content-type"), "application/json");

    const stored = await (await ResultStore.open(stack.platform.nc)).get("large", id);
    assert.equal(stored?.record.resultStored, true);
    assert.equal(stored?.record.result, undefined, "the record itself stays small");
    const jsm = await jetstreamManager(stack.platform.nc);
    const { config } = await jsm.streams.info("OBJ_glia-large-results");
    assert.equal(config.max_age, nanos(DEFAULT_RESULT_TTL_MS + 3600_000), "kept as long as records, plus an hour");
  });

  it("are refused with 413 past the configured limit, naming it", async () => {
    const res = await post(stack.url("large"), randomBytes(41 * 1024 * 1024), "application/octet-stream");
    assert.equal(res.status, 413);
    assert.match(String(res.body["error"]), /limit of 41943040 bytes \(40 MiB\)/);
  });
});
