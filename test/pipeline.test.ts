import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, post, submit, waitFor } from "./support/http.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the async pipeline on the real stack", { timeout: 180_000 }, () => {
  let stack: TestPlatform;
  let echo: string;
  let queue: WorkQueue;

  before(async () => {
    stack = await startPlatform(["echo-payloads", "handler-raises"], { maxBodyBytes: 64 * 1024 });
    echo = stack.url("echo");
    queue = await WorkQueue.open(stack.platform.nc);
  });
  after(async () => stack?.stop());

  it("round-trips the seed's JSON request as a dict, with request_id equal to the returned id", async () => {
    const res = await post(echo, JSON.stringify({ key: "value" }), "application/json");
    assert.equal(res.status, 200);
    const id = String(res.body["id"]);
    assert.match(id, UUID);
    assert.deepEqual(Object.keys(res.body), ["id"]);
    const early = await get(`${echo}/${id}`);
    assert.equal(early.status, 200);
    assert.ok(
      ["in_queue", "in_progress", "completed"].includes(String(early.body["status"])),
      JSON.stringify(early.body),
    );
    const done = await waitFor(echo, id, isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as Record<string, unknown>;
    assert.equal(result["type"], "dict");
    assert.deepEqual(result["payload"], { key: "value" });
    assert.equal(result["request_id"], id);
    assert.deepEqual(result["values"], { answer: 42 }, "values.json is read from the project folder");
    assert.deepEqual(result["config"], { greeting: "hello" });
    assert.match(String(done.body["timestamp"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(done.headers.get("content-type"), "application/json");
  });

  it("passes text/plain as a str, honouring the charset parameter", async () => {
    const plain = await waitFor(echo, await submit(echo, "hello world", "text/plain"), isFinal);
    assert.deepEqual(pick(plain.body["result"], "type", "payload"), { type: "str", payload: "hello world" });
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1
    const decoded = await waitFor(echo, await submit(echo, latin1, "text/plain; charset=iso-8859-1"), isFinal);
    assert.deepEqual(pick(decoded.body["result"], "type", "payload"), { type: "str", payload: "café" });
  });

  it("passes any other content type, or none, as raw bytes", async () => {
    const bytes = Buffer.from([0x80, 0x04, 0x95, 0x00, 0xff, 0x0a]);
    for (const type of ["application/octet-stream", "image/png", undefined]) {
      const done = await waitFor(echo, await submit(echo, bytes, type), isFinal);
      assert.deepEqual(
        pick(done.body["result"], "type", "payload"),
        { type: "bytes", payload: bytes.toString("base64") },
        `content type ${type}`,
      );
    }
  });

  it("accepts a trailing slash on the endpoint", async () => {
    const res = await post(`${echo}/`, "{}", "application/json");
    assert.equal(res.status, 200);
  });

  it("ends a raising handler's request `failed` with the exception's type and message", async () => {
    const raises = stack.url("raises");
    const done = await waitFor(
      raises,
      await submit(raises, JSON.stringify({ item: "x" }), "application/json"),
      isFinal,
    );
    assert.equal(done.body["status"], "failed");
    assert.deepEqual(done.body["error"], { type: "ValueError", message: "cannot handle 'x'" });
    assert.equal(done.body["result"], undefined);
    assert.equal(done.body["timestamp"], undefined);
    const ok = await waitFor(raises, await submit(raises, JSON.stringify({ ok: true }), "application/json"), isFinal);
    assert.equal(ok.body["status"], "completed", "the runtime keeps serving after a handler exception");
  });

  it("answers 404 with a JSON error for unknown ids and unknown APIs", async () => {
    for (const url of [
      `${echo}/00000000-0000-4000-8000-000000000000`,
      `${echo}/not-an-id`,
      `${echo}/*`,
      `${stack.platform.url}/nope`,
      `${stack.platform.url}/nope/x`,
    ]) {
      const res = await get(url);
      assert.equal(res.status, 404, url);
      assert.equal(typeof res.body["error"], "string", url);
    }
  });

  it("refuses malformed bodies at submit with a 4xx that says why, and queues nothing", async () => {
    const before = await queue.queuedTotal("echo");
    const cases: Array<[string | Uint8Array, string, number, RegExp]> = [
      ["{not json", "application/json", 400, /not valid JSON/],
      [Buffer.from([0xff, 0xfe]), "text/plain", 400, /utf-8/],
      ["hi", "text/plain; charset=klingon", 400, /unknown charset/],
      [Buffer.from([0xe9]), "text/plain; charset=us-ascii", 400, /us-ascii/],
      ["x".repeat(64 * 1024 + 1), "application/octet-stream", 413, /limit of 65536 bytes/],
    ];
    for (const [body, type, status, message] of cases) {
      const res = await post(echo, body, type);
      assert.equal(res.status, status, `${type}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body["error"]), message);
    }
    assert.equal(await queue.queuedTotal("echo"), before, "a refused request must not be queued");
  });

  it("refuses a chunked body (no Content-Length) as soon as it passes the limit", async () => {
    const before = await queue.queuedTotal("echo");
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8)
          controller.enqueue(chunk); // 128 KiB in all, twice the limit
        else controller.close();
      },
    });
    const res = await fetch(echo, {
      method: "POST",
      body,
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /limit of 65536 bytes/);
    assert.equal(await queue.queuedTotal("echo"), before);
  });

  it("answers a GET right after each of 1,000 POSTs with the request's record, never 404", async () => {
    const seen = new Map<string, number>();
    const ids: string[] = [];
    // Eight clients at once, so the GETs race the records' watch as a real client's would.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 125; i++) {
          const id = await submit(echo, JSON.stringify({ i }), "application/json");
          const res = await get(`${echo}/${id}`);
          assert.equal(res.status, 200, `GET right after POST: ${res.status} ${JSON.stringify(res.body)}`);
          assert.equal(res.body["id"], id);
          const status = String(res.body["status"]);
          seen.set(status, (seen.get(status) ?? 0) + 1);
          ids.push(id);
        }
      }),
    );
    assert.equal(ids.length, 1_000);
    assert.ok(
      [...seen.keys()].every((s) => ["in_queue", "in_progress", "completed"].includes(s)),
      JSON.stringify([...seen]),
    );
    // And they are served: the last one ends.
    const last = await waitFor(echo, ids.at(-1)!, (s) => s === "completed", 120_000);
    assert.equal(last.body["status"], "completed");
  });

  it("serves health checks", async () => {
    assert.equal((await get(`${stack.platform.url}/healthz`)).status, 200);
    assert.equal((await get(`${echo}/healthz`)).status, 200);
  });
});

function pick(value: unknown, ...keys: string[]): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}
