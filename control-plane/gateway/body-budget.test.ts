import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../observability/index.ts";
import { createGatewayApp, type GatewayOptions } from "./app.ts";
import { BodyBudget, DEFAULT_MAX_BODY_MEMORY_BYTES } from "./body-budget.ts";
import { GatewayBusyError } from "./errors.ts";
import { RouteTable } from "./routes.ts";

/** Any use of the stores fails the test: these requests must be refused before anything is stored. */
const untouchable = new Proxy(
  {},
  {
    get: (_target, name) => {
      throw new Error(`the gateway touched ${String(name)} for a refused request`);
    },
  },
);

function gateway(
  budget: BodyBudget,
  maxBodyBytes = 1024 * 1024,
): { request: (init: RequestInit) => Promise<Response> } {
  const options = {
    routes: new RouteTable([{ api: "echo", endpoint: "/echo" }]),
    intake: untouchable,
    records: untouchable,
    waiters: untouchable,
    metrics: untouchable,
    scrapeWorkers: () => Promise.resolve([]),
    logger: silentLogger(),
    maxBodyBytes,
    bodyBudget: budget,
  } as unknown as GatewayOptions;
  const app = createGatewayApp(options);
  return { request: async (init) => app.request("http://127.0.0.1/echo", { method: "POST", ...init }) };
}

/** A body that sends `chunks` and then waits for `finish` before it ends (or fails, when `finish` rejects). */
function streamed(chunks: Uint8Array[], finish: Promise<void>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (i < chunks.length) return controller.enqueue(chunks[i++]!);
      await finish;
      controller.close();
    },
  });
}

describe("BodyBudget", () => {
  it("takes bytes up to its cap, refuses past it, and gives them back once", () => {
    const budget = new BodyBudget(100);
    const a = budget.share();
    const b = budget.share();
    a.cover(60);
    a.cover(40); // already covered
    assert.throws(() => b.cover(41), GatewayBusyError);
    assert.equal(budget.heldBytes, 60, "a refused share takes nothing");
    b.cover(40);
    a.release();
    a.release();
    assert.equal(budget.heldBytes, 40);
    b.release();
    assert.equal(budget.heldBytes, 0);
  });

  it("defaults to 256 MiB, or twice the largest body, and refuses a cap under the largest body", () => {
    assert.equal(BodyBudget.forBodies(100 * 1024 * 1024).capBytes, DEFAULT_MAX_BODY_MEMORY_BYTES);
    assert.equal(BodyBudget.forBodies(200 * 1024 * 1024).capBytes, 400 * 1024 * 1024);
    assert.equal(BodyBudget.forBodies(10, 50).capBytes, 50);
    assert.throws(() => BodyBudget.forBodies(100, 50), /cap \(50 bytes\) is under the largest body allowed/);
  });
});

describe("submit bodies against the memory budget", () => {
  it("answers 503 with Retry-After when a declared length would pass the cap, reading and storing nothing", async () => {
    const budget = new BodyBudget(1000);
    const holder = budget.share();
    holder.cover(600);
    const res = await gateway(budget).request({
      body: "x".repeat(500),
      headers: { "content-type": "application/octet-stream", "content-length": "500" },
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(res.headers.get("connection"), "close");
    const body = (await res.json()) as { error: string; code: string };
    assert.equal(body.code, "GATEWAY_BUSY");
    assert.match(body.error, /the gateway is busy: .* limit of 1000 B in memory; retry shortly/);
    assert.equal(budget.heldBytes, 600, "the refused request holds nothing");
  });

  it("counts a chunked body as it streams, refuses it once it passes the cap, and gives its bytes back", async () => {
    const budget = new BodyBudget(1000);
    const chunk = new Uint8Array(300);
    const res = await gateway(budget).request({
      body: streamed([chunk, chunk, chunk, chunk], new Promise(() => {})),
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 503);
    assert.equal(budget.heldBytes, 0);
  });

  it("holds a body's bytes while its request runs and gives them back however it ends", async () => {
    const budget = new BodyBudget(1000);
    const gw = gateway(budget);
    let finish!: () => void;
    const first = gw.request({
      body: streamed([new Uint8Array(800)], new Promise((resolve) => (finish = resolve))),
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    while (budget.heldBytes === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(budget.heldBytes, 800);
    const second = await gw.request({ body: "[1]".repeat(100), headers: { "content-type": "application/json" } });
    assert.equal(second.status, 503, "no room while the first body is held");
    finish();
    const answer = await first;
    assert.equal(answer.status, 400, "800 zero bytes are not JSON");
    assert.equal(budget.heldBytes, 0, "given back after a 400");
    const tooLarge = await gateway(budget, 100).request({
      body: "x".repeat(200),
      headers: { "content-length": "200" },
    });
    assert.equal(tooLarge.status, 413);
    assert.equal(budget.heldBytes, 0, "given back after a 413");
  });

  it("answers a deeply nested JSON body with 400 naming the limit and the depth, storing nothing", async () => {
    const budget = new BodyBudget(64 * 1024 * 1024);
    const started = performance.now();
    const res = await gateway(budget, 32 * 1024 * 1024).request({
      body: "[".repeat(16 * 1024 * 1024),
      headers: { "content-type": "application/json" },
    });
    const ms = performance.now() - started;
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; code: string };
    assert.equal(body.code, "PAYLOAD_INVALID");
    assert.match(body.error, /nested too deeply: .*limit of 512 levels \(level 513 opens at byte 512\)/);
    assert.equal(budget.heldBytes, 0);
    console.log(`16 MiB of '[' answered 400 in ${ms.toFixed(0)} ms (in process)`);
  });
});
