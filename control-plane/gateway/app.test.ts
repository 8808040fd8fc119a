import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../observability/index.ts";
import {
  completed,
  failed,
  failureTypeOf,
  newRecord,
  QueueFullError,
  started,
  StoreUnavailableError,
  type RequestRecord,
  type StoredRecord,
} from "../jobs/index.ts";
import { createGatewayApp, createInternalApp, type GatewayOptions, type NotReady } from "./app.ts";
import { ApiKeys } from "./auth.ts";
import { BodyBudget } from "./body-budget.ts";
import { GatewayMetrics } from "./metrics.ts";
import type { LargeResult, NewRequest, RecordReader, RecordWaiter, RequestIntake } from "./ports.ts";
import { RouteTable } from "./routes.ts";

/*
 * The HTTP layer in process: `app.request()` against in-memory stand-ins for the interfaces the
 * apps take (ports.ts). The pipeline behind them (NATS, workers, runtimes) is tested for real in
 * test/; here only what the gateway itself answers is.
 */

const ID = "0b9c6a64-2f7a-4d5e-9a57-3f0e2d1c4b5a";
const UNKNOWN_ID = "11111111-2222-4333-8444-555555555555";
const KEY = "all-apis-0123456789abcdef";
const IRIS_KEY = "iris-only-0123456789abcdef";

/** Records by `api/id`, as a store would hold them; `wait` answers at once with what is there. */
class MemoryRecords implements RecordReader, RecordWaiter {
  readonly records = new Map<string, RequestRecord>();
  readonly large = new Map<string, string>();
  readonly waits: Array<{ api: string; id: string; timeoutMs: number }> = [];

  put(record: RequestRecord): void {
    this.records.set(`${record.api}/${record.id}`, record);
  }

  async get(api: string, id: string): Promise<StoredRecord | null> {
    const record = this.records.get(`${api}/${id}`);
    return record ? { record, revision: 1 } : null;
  }

  async largeResult(record: RequestRecord): Promise<LargeResult | null> {
    const json = this.large.get(`${record.api}/${record.id}`);
    if (!record.resultStored || json === undefined) return null;
    const bytes = Buffer.from(json);
    return { size: bytes.byteLength, data: new Blob([bytes]).stream() };
  }

  async latest(api: string, id: string): Promise<StoredRecord | null> {
    return this.get(api, id);
  }

  async wait(api: string, id: string, timeoutMs: number): Promise<StoredRecord | null> {
    this.waits.push({ api, id, timeoutMs });
    return this.get(api, id);
  }
}

/** Takes requests by writing their `in_queue` record, as the real intake does before it answers. */
class MemoryIntake implements RequestIntake {
  readonly submitted: Array<{ api: string; request: NewRequest; id: string }> = [];
  failWith: Error | null = null;
  #n = 0;

  constructor(private readonly records: MemoryRecords) {}

  async submit(api: string, request: NewRequest): Promise<string> {
    if (this.failWith) throw this.failWith;
    const id = `00000000-0000-4000-8000-${String(++this.#n).padStart(12, "0")}`;
    this.records.put(newRecord(api, id));
    this.submitted.push({ api, request, id });
    return id;
  }
}

interface Fixture {
  app: ReturnType<typeof createGatewayApp>;
  internal: ReturnType<typeof createInternalApp>;
  records: MemoryRecords;
  intake: MemoryIntake;
}

function gateway(extra: Partial<GatewayOptions> = {}): Fixture {
  const records = new MemoryRecords();
  const intake = new MemoryIntake(records);
  const routes = new RouteTable([
    { api: "iris", endpoint: "/iris" },
    { api: "echo", endpoint: "/team/echo" },
  ]);
  const options: GatewayOptions = {
    routes,
    intake,
    records,
    waiters: records,
    logger: silentLogger(),
    maxBodyBytes: 1024,
    bodyBudget: BodyBudget.forBodies(1024),
    metrics: new GatewayMetrics(routes, { pending: async () => 0 }),
    scrapeWorkers: async () => [],
    ...extra,
  };
  return { app: createGatewayApp(options), internal: createInternalApp(options), records, intake };
}

const at = (path: string): string => `http://127.0.0.1${path}`;

async function post(
  app: Fixture["app"],
  path: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<Response> {
  return app.request(at(path), { method: "POST", body, headers });
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe("gateway app, in process", { timeout: 10_000 }, () => {
  describe("submitting", () => {
    it("answers 200 with the new id once the request is taken in, and hands on the body and Content-Type", async () => {
      const { app, intake } = gateway();
      const res = await post(app, "/iris", '{"x": 1}');
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.deepEqual(Object.keys(body), ["id"]);
      assert.equal(intake.submitted.length, 1);
      const [taken] = intake.submitted;
      assert.equal(body["id"], taken!.id);
      assert.equal(taken!.api, "iris");
      assert.equal(Buffer.from(taken!.request.payload).toString(), '{"x": 1}');
      assert.equal(taken!.request.contentType, "application/json");
    });

    it("takes a trailing slash and an endpoint of several segments", async () => {
      const { app, intake } = gateway();
      assert.equal((await post(app, "/iris/", "{}")).status, 200);
      assert.equal((await post(app, "/team/echo", "{}")).status, 200);
      assert.deepEqual(
        intake.submitted.map((s) => s.api),
        ["iris", "echo"],
      );
    });

    it("stores no request header, credentials least of all", async () => {
      const { app, intake } = gateway();
      await post(app, "/iris", "{}", {
        "content-type": "application/json",
        authorization: "Bearer secret-0123456789abcdef",
        cookie: "session=1",
        "x-api-key": "k",
      });
      assert.deepEqual(intake.submitted[0]!.request.headers, {});
    });

    it("refuses invalid JSON with 400, naming the problem, and takes nothing in", async () => {
      const { app, intake } = gateway();
      const res = await post(app, "/iris", "{oops");
      assert.equal(res.status, 400);
      const body = await json(res);
      assert.equal(body["code"], "PAYLOAD_INVALID");
      assert.match(String(body["error"]), /JSON/);
      assert.equal(intake.submitted.length, 0);
    });

    it("refuses a body over the limit with 413, stating the limit, and takes nothing in", async () => {
      const { app, intake } = gateway();
      const res = await post(app, "/iris", "x".repeat(1025), { "content-type": "text/plain" });
      assert.equal(res.status, 413);
      const body = await json(res);
      assert.equal(body["code"], "PAYLOAD_TOO_LARGE");
      assert.match(String(body["error"]), /1024 bytes/);
      assert.equal(intake.submitted.length, 0);
    });

    it("answers 429 with Retry-After when the API's queue is full", async () => {
      const { app, intake } = gateway();
      intake.failWith = new QueueFullError("iris");
      const res = await post(app, "/iris", "{}");
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal((await json(res))["code"], "QUEUE_FULL");
    });

    it("answers 503 with Retry-After when the request could not be stored", async () => {
      const { app, intake } = gateway();
      intake.failWith = new StoreUnavailableError("no responders");
      const res = await post(app, "/iris", "{}");
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal((await json(res))["code"], "STORE_UNAVAILABLE");
    });

    it("answers 500 without details when something unexpected fails", async () => {
      const { app, intake } = gateway();
      intake.failWith = new Error("secret internals");
      const res = await post(app, "/iris", "{}");
      assert.equal(res.status, 500);
      assert.deepEqual(await json(res), { error: "internal error; see the gateway log", code: "INTERNAL" });
    });
  });

  describe("reading a record", () => {
    const queued = newRecord("iris", ID, new Date("2026-01-02T03:04:05Z"));
    const running = started(queued, 1, new Date("2026-01-02T03:04:06Z"));
    const done = completed(running, { label: "setosa" }, new Date("2026-01-02T03:04:07Z"));
    const raised = failed(running, { type: failureTypeOf("ValueError"), message: "bad input" });
    const timedOut = failed(running, { type: "Timeout", message: "past 1 s" });

    const cases: [string, RequestRecord, Record<string, unknown>][] = [
      ["a queued one", queued, { id: ID, status: "in_queue" }],
      ["a running one", running, { id: ID, status: "in_progress" }],
      [
        "a completed one, with its result and timestamp",
        done,
        { id: ID, status: "completed", result: { label: "setosa" }, timestamp: "2026-01-02T03:04:07.000Z" },
      ],
      [
        "one failed by the handler, with its exception",
        raised,
        { id: ID, status: "failed", error: { type: "ValueError", message: "bad input" } },
      ],
      [
        "one failed by glia, with glia's failure type",
        timedOut,
        { id: ID, status: "failed", error: { type: "Timeout", message: "past 1 s" } },
      ],
    ];
    for (const [title, record, expected] of cases) {
      it(`answers ${title}`, async () => {
        const { app, records } = gateway();
        records.put(record);
        const res = await app.request(at(`/iris/${ID}`));
        assert.equal(res.status, 200);
        assert.deepEqual(await json(res), expected);
      });
    }

    it("finds what was just submitted, in_queue", async () => {
      const { app } = gateway();
      const { id } = (await json(await post(app, "/iris", "{}"))) as { id: string };
      assert.deepEqual(await json(await app.request(at(`/iris/${id}`))), { id, status: "in_queue" });
    });

    it("streams a result kept apart from its record into the answer", async () => {
      const { app, records } = gateway();
      records.put({
        ...completed(running, {}, new Date("2026-01-02T03:04:07Z")),
        result: undefined,
        resultStored: true,
      });
      records.large.set(`iris/${ID}`, '{"big":[1,2,3]}');
      const res = await app.request(at(`/iris/${ID}`));
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(res.headers.get("content-length"), String(Buffer.byteLength(text)));
      assert.deepEqual(JSON.parse(text), {
        id: ID,
        status: "completed",
        result: { big: [1, 2, 3] },
        timestamp: "2026-01-02T03:04:07.000Z",
      });
    });

    it("waits through the waiter for ?wait=S, at most 60 s, and refuses a bad wait with 400", async () => {
      const { app, records } = gateway();
      records.put(done);
      assert.equal((await app.request(at(`/iris/${ID}?wait=2.5`))).status, 200);
      assert.deepEqual(records.waits, [{ api: "iris", id: ID, timeoutMs: 2500 }]);
      for (const wait of ["61", "-1", "soon", ""]) {
        const res = await app.request(at(`/iris/${ID}?wait=${wait}`));
        assert.equal(res.status, 400, `?wait=${wait}`);
        assert.match(String((await json(res))["error"]), /from 0 to 60/);
      }
      assert.equal(records.waits.length, 1, "a refused wait reaches no waiter");
    });

    it("answers 404 in JSON for an unknown id, a malformed id, and an id of another API", async () => {
      const { app, records } = gateway();
      records.put(done);
      for (const path of [`/iris/${UNKNOWN_ID}`, "/iris/not-an-id", `/team/echo/${ID}`]) {
        const res = await app.request(at(path));
        assert.equal(res.status, 404, path);
        assert.equal((await json(res))["code"], "NOT_FOUND", path);
      }
    });
  });

  describe("paths", () => {
    it("answers 404 in JSON for a path that names no API, for GET and POST", async () => {
      const { app, intake } = gateway();
      for (const res of [await app.request(at("/nope")), await post(app, "/nope", "{}"), await app.request(at("/"))]) {
        assert.equal(res.status, 404);
        const body = await json(res);
        assert.equal(body["code"], "NOT_FOUND");
        assert.match(String(body["error"]), /no API is served at/);
      }
      assert.equal(intake.submitted.length, 0);
    });

    it("answers 405 naming the method to use", async () => {
      const { app } = gateway();
      const get = await app.request(at("/iris"));
      assert.equal(get.status, 405);
      assert.match(String((await json(get))["error"]), /use POST \/iris/);
      const put = await app.request(at(`/iris/${ID}`), { method: "PUT" });
      assert.equal(put.status, 405);
    });

    it("answers /healthz and each API's /healthz with ok", async () => {
      const { app } = gateway();
      for (const path of ["/healthz", "/iris/healthz", "/team/echo/healthz"]) {
        const res = await app.request(at(path));
        assert.equal(res.status, 200, path);
        assert.equal(await res.text(), "ok", path);
      }
    });
  });

  describe("/readyz", () => {
    it("is ready by default", async () => {
      const res = await gateway().app.request(at("/readyz"));
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { ready: true });
    });

    it("answers 503 with Retry-After and the APIs awaited while not ready, then 200", async () => {
      let notReady: NotReady | null = { reason: "starting", waiting: ["iris"] };
      const { app } = gateway({ readiness: () => notReady });
      const res = await app.request(at("/readyz"));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.deepEqual(await json(res), {
        ready: false,
        error: "not ready: starting: iris",
        code: "NOT_READY",
        waiting: ["iris"],
      });
      notReady = null;
      assert.equal((await app.request(at("/readyz"))).status, 200);
    });
  });

  describe("API keys", () => {
    const withKeys = async (): Promise<Fixture> =>
      gateway({ apiKeys: await ApiKeys.load(undefined, `${KEY},iris:${IRIS_KEY}`) });
    const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

    it("answer the same 401 on every path without a valid key, deployed or not", async () => {
      const { app, intake } = await withKeys();
      const answers: string[] = [];
      for (const [path, init] of [
        ["/iris", { method: "POST", body: "{}" }],
        [`/iris/${ID}`, {}],
        ["/iris/healthz", {}],
        ["/nope", {}],
        ["/metrics", {}],
        [`/iris/${ID}`, { headers: bearer("wrong-key-0123456789abcdef") }],
      ] as const) {
        const res = await app.request(at(path), init);
        assert.equal(res.status, 401, path);
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="glia"', path);
        answers.push(String((await json(res))["code"]));
      }
      assert.deepEqual(new Set(answers), new Set(["UNAUTHORIZED"]));
      assert.equal(intake.submitted.length, 0);
    });

    it("let a valid key through, and an API's key only to its API", async () => {
      const { app } = await withKeys();
      assert.equal(
        (await post(app, "/iris", "{}", { ...bearer(IRIS_KEY), "content-type": "application/json" })).status,
        200,
      );
      assert.equal((await post(app, "/team/echo", "{}", bearer(IRIS_KEY))).status, 401);
      assert.equal((await post(app, "/team/echo", "{}", bearer(KEY))).status, 200);
      assert.equal((await app.request(at("/nope"), { headers: bearer(IRIS_KEY) })).status, 401);
      assert.equal((await app.request(at("/nope"), { headers: bearer(KEY) })).status, 404);
    });

    it("leave /healthz and /readyz open for probes", async () => {
      const { app } = await withKeys();
      assert.equal((await app.request(at("/healthz"))).status, 200);
      assert.equal((await app.request(at("/readyz"))).status, 200);
    });

    it("keep the APIs awaited from /readyz without a key for every API", async () => {
      const { app } = gateway({
        apiKeys: await ApiKeys.load(undefined, `${KEY},iris:${IRIS_KEY}`),
        readiness: () => ({ reason: "starting", waiting: ["iris", "echo"] }),
      });
      const open = await json(await app.request(at("/readyz")));
      assert.equal(open["error"], "not ready: starting: 2 API(s)");
      assert.equal(open["waiting"], undefined);
      const listed = await json(await app.request(at("/readyz"), { headers: bearer(KEY) }));
      assert.deepEqual(listed["waiting"], ["iris", "echo"]);
    });
  });

  describe("CORS", () => {
    const preflight = {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    };

    it("is off by default: no CORS header for any origin, preflight or not", async () => {
      const { app } = gateway();
      const res = await post(app, "/iris", "{}", {
        "content-type": "application/json",
        origin: "https://evil.example",
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
      const pre = await app.request(at("/iris"), preflight);
      assert.equal(pre.headers.get("access-control-allow-origin"), null);
    });

    it("answers only the origins named", async () => {
      const { app } = gateway({ corsOrigins: ["https://app.example.com"] });
      const pre = await app.request(at("/iris"), preflight);
      assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example.com");
      const other = await app.request(at(`/iris/${ID}`), { headers: { origin: "https://evil.example" } });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    });
  });

  describe("/metrics", () => {
    it("serves the gateway's series in Prometheus' text format, counting accepted requests", async () => {
      const { app } = gateway();
      await post(app, "/iris", "{}");
      const res = await app.request(at("/metrics"));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      assert.match(await res.text(), /glia_submitted_total\{api="iris"\} 1/);
    });
  });

  describe("the internal listener", () => {
    const host = (name: string): Record<string, string> => ({ host: name, "content-type": "application/json" });

    it("routes by Host: POST / submits, GET /<id> reads", async () => {
      const { internal, intake, records } = gateway();
      const res = await internal.request(at("/"), { method: "POST", body: "{}", headers: host("api-echo:8888") });
      assert.equal(res.status, 200);
      assert.equal(intake.submitted[0]!.api, "echo");
      records.put(newRecord("echo", ID));
      const read = await internal.request(at(`/${ID}`), { headers: host("api-echo") });
      assert.deepEqual(await json(read), { id: ID, status: "in_queue" });
    });

    it("answers 404 naming the form to use for an unknown host", async () => {
      const { internal } = gateway();
      const res = await internal.request(at("/"), { method: "POST", body: "{}", headers: host("example.com") });
      assert.equal(res.status, 404);
      assert.match(String((await json(res))["error"]), /use http:\/\/api-<name>:8888\//);
    });

    it("never answers CORS, even with origins named for the public listener", async () => {
      const { internal } = gateway({ corsOrigins: ["*"] });
      const res = await internal.request(at(`/${ID}`), {
        headers: { ...host("api-echo"), origin: "https://x.example" },
      });
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    });
  });
});
