import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { exposition, PROMETHEUS_CONTENT_TYPE, type Logger, type MetricFamily } from "../observability/index.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { ApiKeys } from "./auth.ts";
import { allowOrigins } from "./cors.ts";
import { isRequestId, toPublic, QueueFullError, StoreUnavailableError } from "../jobs/index.ts";
import { checkPayload } from "./payload-check.ts";
import { readBody } from "./body.ts";
import type { BodyBudget } from "./body-budget.ts";
import {
  GatewayBusyError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadError,
  RequestRejectedError,
} from "./errors.ts";
import type { RouteMatch } from "./routes.ts";
import type { RecordReader, RecordWaiter, RequestIntake, Routes } from "./ports.ts";

/** Largest body the gateway takes by default: 100 MiB (larger ones go through the object store). */
export const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * What the gateway apps are built from. The apps hold no connection: they reach NATS only through
 * the small interfaces of `ports.ts` (`platform/gateway-service.ts` passes the NATS-backed ones).
 */
export interface GatewayOptions {
  /** The APIs served, by endpoint and by name (a `RouteTable`, kept to the registry by the platform). */
  routes: Routes;
  /** Takes submitted requests in (`QueueIntake`: record, then message). */
  intake: RequestIntake;
  /** Reads records for `GET …/<id>` (`ResultStore`). */
  records: RecordReader;
  /** Serves `GET …/<id>?wait=<seconds>` (long poll until the request ends; `RecordWaiters`). */
  waiters: RecordWaiter;
  logger: Logger;
  /** Bodies over this many bytes are refused with 413 before they are read whole. */
  maxBodyBytes: number;
  /**
   * The bytes of request bodies held in memory at once, shared by every app built from these
   * options (`BodyBudget.forBodies`); a submit that would pass it answers 503 with Retry-After.
   * @default 256 MiB, or twice `maxBodyBytes` when that is more
   */
  bodyBudget: BodyBudget;
  /** The gateway's own series; `GET /metrics` serves them with the workers'. */
  metrics: GatewayMetrics;
  /** Gathers the worker processes' metric families for `GET /metrics`. */
  scrapeWorkers: () => Promise<MetricFamily[][]>;
  /** When set, the public listener requires `Authorization: Bearer <key>` (not the internal one). */
  apiKeys?: ApiKeys | null;
  /**
   * Origins whose browser pages may read the public listener's answers (`*`: any); the internal
   * listener never answers CORS. @default [] (no CORS header to anyone)
   */
  corsOrigins?: readonly string[];
  /**
   * What `GET /readyz` on the public listener waits for: null once every API the platform was
   * started with is routed and takes requests. @default always ready (`glia gateway` listens
   * only after it has read the registry)
   */
  readiness?: Readiness;
}

/** Whether the gateway takes requests: null when it does, else why not. */
export type Readiness = () => NotReady | null;

/** Why the gateway is not ready: a sentence, and the APIs it still waits for (maybe none). */
export interface NotReady {
  reason: string;
  waiting: string[];
}

/** Longest `?wait=` a GET may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 60;

/**
 * The request headers stored with a request (for as long as its record) and passed to its
 * runtime: only those something reads, and none does. The handler interface takes `payload` and
 * `request_id` alone, as Cortex's did; Content-Type is stored on its own (it selects the
 * decoding). Add a name only together with the code that reads it, and never a credential
 * (`authorization`, `proxy-authorization`, `cookie`, `x-api-key`, any `*-token`).
 */
export const STORED_HEADERS: readonly string[] = [];

/** Finds what a request points at, or throws NotFoundError. */
type Locate = (c: Context) => RouteMatch;

/**
 * Builds the public HTTP app: APIs by endpoint path (`POST /<endpoint>`, `GET /<endpoint>/<id>`).
 * It does not listen; `platform/` does.
 */
export function createGatewayApp(options: GatewayOptions): Hono {
  const app = new Hono();
  const keys = options.apiKeys;
  if (options.corsOrigins?.length) app.use("*", allowOrigins(options.corsOrigins));
  // Prometheus: glia's own series and what handlers recorded, from the gateway and every worker.
  app.get("/metrics", async (c) => {
    keys?.check("metrics", c.req.header("authorization"));
    const text = await exposition([await options.metrics.families(), ...(await options.scrapeWorkers())]);
    return c.body(text, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
  const locate: Locate = (c) => {
    const match = options.routes.match(c.req.path);
    // The key is checked before the path is: without one, every path answers the same 401,
    // so the deployed APIs (and their /healthz) cannot be listed by trying names.
    keys?.check(match?.route.api ?? null, c.req.header("authorization"));
    if (!match) throw new NotFoundError(`no API is served at ${c.req.path}`);
    return match;
  };
  app.get("/readyz", (c) => readyz(c, options));
  app.route("/", buildApp(options, "gateway", locate));
  const log = options.logger.child({ module: "gateway" });
  app.onError((err, c) => onError(err, c, log));
  return app;
}

/**
 * Builds the internal app that handlers reach at `http://api-<name>:8888/`: the API is named by
 * the Host header, `POST /` submits and `GET /<id>` reads, as from outside.
 */
export function createInternalApp(options: GatewayOptions): Hono {
  return buildApp(options, "internal-gateway", (c) => byHost(options.routes, c.req.header("host"), c.req.path));
}

function buildApp(options: GatewayOptions, module: string, locate: Locate): Hono {
  const app = new Hono();
  const log = options.logger.child({ module });
  app.get("/healthz", (c) => c.text("ok"));
  app.post("*", (c) => submit(c, options, log, locate(c)));
  app.get("*", (c) => read(c, options, locate(c)));
  app.all("*", (c) => {
    const match = locate(c);
    throw new MethodNotAllowedError(c.req.method, c.req.path, match.kind === "submit" ? "POST" : "GET");
  });
  app.onError((err, c) => onError(err, c, log));
  return app;
}

/**
 * `GET /readyz`: 200 once every API given at start takes requests, else 503 with why. It is open,
 * as `/healthz` is, for probes that carry no key; with API keys on, only a key for every API learns
 * which APIs are awaited (others get their number), as only such a key learns which paths exist.
 */
function readyz(c: Context, options: GatewayOptions): Response {
  const notReady = options.readiness?.() ?? null;
  if (!notReady) return c.json({ ready: true });
  let mayList = true;
  try {
    options.apiKeys?.check(null, c.req.header("authorization"));
  } catch {
    mayList = false;
  }
  const { reason, waiting } = notReady;
  const listed = waiting.length === 0 ? "" : mayList ? `: ${waiting.join(", ")}` : `: ${waiting.length} API(s)`;
  c.header("Retry-After", "1");
  return c.json(
    { ready: false, error: `not ready: ${reason}${listed}`, code: "NOT_READY", ...(mayList ? { waiting } : {}) },
    503,
  );
}

function byHost(routes: Routes, host: string | undefined, path: string): RouteMatch {
  const name = /^api-([^:]+)(:\d+)?$/.exec(host ?? "")?.[1];
  const route = name === undefined ? undefined : routes.byApi(name);
  if (!route)
    throw new NotFoundError(`no API answers to the host ${JSON.stringify(host ?? "")}; use http://api-<name>:8888/`);
  const tail = path.replace(/^\/+|\/+$/g, "");
  if (tail === "") return { kind: "submit", route };
  if (tail === "healthz") return { kind: "health", route };
  if (!tail.includes("/")) return { kind: "record", route, id: tail };
  throw new NotFoundError(`nothing at ${path} on ${host}; POST / submits, GET /<id> reads`);
}

async function submit(c: Context, options: GatewayOptions, log: Logger, match: RouteMatch): Promise<Response> {
  if (match.kind !== "submit") throw new MethodNotAllowedError("POST", c.req.path, `POST ${match.route.endpoint}`);
  const share = options.bodyBudget.share();
  try {
    return await queue(c, options, log, match.route.api, await readBody(c, options.maxBodyBytes, share));
  } finally {
    share.release(); // however the request ended: queued, refused, failed, or its client gone
  }
}

async function queue(
  c: Context,
  options: GatewayOptions,
  log: Logger,
  api: string,
  payload: Uint8Array,
): Promise<Response> {
  const contentType = c.req.header("content-type") ?? "";
  await checkPayload(contentType, payload);
  const id = await options.intake.submit(api, { payload, contentType, headers: forwardedHeaders(c) });
  options.metrics.submitted.inc({ api });
  log.debug({ api, id, bytes: payload.byteLength, contentType }, "request queued");
  return c.json({ id });
}

async function read(c: Context, options: GatewayOptions, match: RouteMatch): Promise<Response> {
  if (match.kind === "health") return c.text("ok");
  if (match.kind === "submit")
    throw new MethodNotAllowedError(
      "GET",
      c.req.path,
      `POST ${match.route.endpoint}, or GET ${match.route.endpoint}/<id>`,
    );
  // Made only when thrown: an error captures its stack, which every GET would pay for.
  const notFound = (): NotFoundError => new NotFoundError(`id ${match.id} not found in API ${match.route.api}`);
  if (!isRequestId(match.id)) throw notFound();
  const waitMs = waitOf(c.req.query("wait"));
  const stored =
    waitMs > 0
      ? await options.waiters.wait(match.route.api, match.id, waitMs)
      : await options.waiters.latest(match.route.api, match.id);
  if (!stored) throw notFound();
  const large = await options.records.largeResult(stored.record);
  if (!large) return c.json(toPublic(stored.record));
  // The stored result is JSON already: stream it into the answer as it comes from NATS, rather
  // than hold up to 128 MiB here, or parse and re-encode it.
  const { id, timestamp } = toPublic(stored.record);
  const head = Buffer.from(`{"id":${JSON.stringify(id)},"status":"completed","result":`);
  const tail = Buffer.from(`,"timestamp":${JSON.stringify(timestamp)}}`);
  const failed = (err: unknown): void =>
    options.logger.error(
      { err, api: match.route.api, id },
      "a stored result could not be read to the end; the answer was cut",
    );
  return c.body(spliced(head, large.data, tail, failed), 200, {
    "content-type": "application/json",
    "content-length": String(head.byteLength + large.size + tail.byteLength),
  });
}

/**
 * `head`, then what `middle` yields, then `tail`, read only as fast as the answer is sent. If
 * `middle` fails, `onError` hears of it and the answer ends short of its content-length, which
 * tells the client it is incomplete.
 */
function spliced(
  head: Uint8Array,
  middle: ReadableStream<Uint8Array>,
  tail: Uint8Array,
  onError: (err: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = middle.getReader();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(head);
        return;
      }
      const { done, value } = await reader.read().catch((err: unknown) => {
        onError(err);
        throw err;
      });
      if (!done) return controller.enqueue(value);
      controller.enqueue(tail);
      controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** `?wait=<seconds>`: how long a GET may wait for the request to end (0 = answer at once). */
function waitOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
    throw new PayloadError(
      `?wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, got ${JSON.stringify(text)}`,
    );
  }
  return seconds * 1000;
}

function forwardedHeaders(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function onError(err: Error, c: Context, log: Logger): Response {
  if (err instanceof RequestRejectedError) {
    if (err.status === 413) c.header("Connection", "close"); // the rest of the body is not read
    if (err.status === 401) c.header("WWW-Authenticate", 'Bearer realm="glia"');
    log.info({ status: err.status, code: err.code, path: c.req.path, method: c.req.method }, err.message);
    return c.json({ error: err.message, code: err.code }, err.status);
  }
  if (err instanceof GatewayBusyError) {
    log.info({ path: c.req.path, method: c.req.method }, err.message);
    c.header("Retry-After", "1");
    c.header("Connection", "close"); // the rest of the body is not read
    return c.json({ error: err.message, code: err.code }, 503);
  }
  if (err instanceof QueueFullError) {
    log.info({ api: err.api, path: c.req.path }, err.message);
    c.header("Retry-After", "1");
    return c.json({ error: err.message, code: err.code }, 429);
  }
  if (err instanceof StoreUnavailableError) {
    log.error({ err, path: c.req.path }, "NATS is unavailable");
    c.header("Retry-After", "1");
    return c.json({ error: `the request could not be stored, try again: ${err.message}`, code: err.code }, 503);
  }
  if (err instanceof HTTPException) return err.getResponse();
  log.error({ err, path: c.req.path, method: c.req.method }, "unexpected error");
  return c.json({ error: "internal error; see the gateway log", code: "INTERNAL" }, 500);
}
