import type { Hono } from "hono";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../observability/index.ts";
import {
  ApiRegistry,
  claimProblem,
  PayloadStore,
  RecordWaiters,
  ResultStore,
  scrapeWorkers,
  WorkQueue,
  type DeployedApi,
  type EndpointClaims,
} from "../jobs/index.ts";
import {
  type ApiKeys,
  type ApiRoute,
  type GatewayOptions,
  BodyBudget,
  createGatewayApp,
  createInternalApp,
  GatewayMetrics,
  QueueIntake,
  RouteTable,
  DEFAULT_MAX_BODY_BYTES,
} from "../gateway/index.ts";
import { connectNats, redactUrl, type NatsCredentials } from "./nats-connect.ts";
import { listen, type Listener } from "./http.ts";
import { PlatformConfigError } from "./errors.ts";

/** The buckets and streams the platform writes to. */
export interface PlatformStores {
  store: ResultStore;
  queue: WorkQueue;
  registry: ApiRegistry;
  payloads: PayloadStore;
}

/** Opens (creating where missing) the platform's stores, with `replicas` copies each on a clustered NATS. */
export async function openStores(
  nc: NatsConnection,
  natsUrl: string,
  o: { ttlMs?: number; replicas: number; ackWaitMs?: number },
): Promise<PlatformStores> {
  try {
    return {
      store: await ResultStore.open(nc, { ttlMs: o.ttlMs, replicas: o.replicas }),
      queue: await WorkQueue.open(nc, { maxAgeMs: o.ttlMs, ackWaitMs: o.ackWaitMs, replicas: o.replicas }),
      registry: await ApiRegistry.open(nc, { replicas: o.replicas }),
      payloads: await PayloadStore.open(nc, { ttlMs: o.ttlMs, replicas: o.replicas }),
    };
  } catch (err) {
    if (o.replicas === 1) throw err;
    throw new PlatformConfigError(
      `NATS at ${redactUrl(natsUrl)} cannot keep ${o.replicas} replicas: ${(err as Error).message}; ` +
        "--replicas must be at most the number of JetStream servers in the cluster (1 for a single server)",
      { cause: err },
    );
  }
}

/**
 * What the gateway apps are built from, over NATS: the stores behind the apps' small interfaces.
 * The caller owns `routes` and closes `waiters`.
 */
export async function gatewayOptions(
  nc: NatsConnection,
  stores: PlatformStores,
  routes: RouteTable,
  o: {
    logger: Logger;
    maxBodyBytes?: number;
    maxBodyMemoryBytes?: number;
    apiKeys?: ApiKeys | null;
    corsOrigins?: readonly string[];
  },
): Promise<GatewayOptions & { waiters: RecordWaiters }> {
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const intake = new QueueIntake({
    store: stores.store,
    queue: stores.queue,
    payloads: stores.payloads,
    // A queued message carries the body plus headers (at most 16 KiB in Node): keep room for them.
    inlineLimitBytes: stores.store.maxRecordBytes - 64 * 1024,
    logger: o.logger,
  });
  return {
    routes,
    intake,
    records: stores.store,
    waiters: await RecordWaiters.open(stores.store),
    logger: o.logger,
    maxBodyBytes,
    bodyBudget: BodyBudget.forBodies(maxBodyBytes, o.maxBodyMemoryBytes),
    metrics: new GatewayMetrics(routes, stores.queue),
    scrapeWorkers: () => scrapeWorkers(nc),
    apiKeys: o.apiKeys ?? null,
    corsOrigins: o.corsOrigins ?? [],
  };
}

/**
 * The internal listener handlers reach as `http://api-<name>:8888/`; where its usual port is
 * taken (e.g. by Jupyter) and `fallback` is set, a free one instead.
 */
export async function listenInternal(
  app: Hono,
  o: { host: string; port: number; fallback: boolean },
  log: Logger,
): Promise<Listener> {
  try {
    return await listen(app, o.host, o.port);
  } catch (err) {
    if (!o.fallback || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    const listener = await listen(app, o.host, 0);
    log.warn(
      { port: o.port, instead: listener.port },
      "the internal port is taken; handlers reach api-<name>:8888 through another",
    );
    return listener;
  }
}

/** A URL for a listener bound to `host` (a wildcard address is reached on loopback). */
export function urlFor(listener: Listener): string {
  const { host, port } = listener;
  if (host === "0.0.0.0" || host === "::") return `http://127.0.0.1:${port}`;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export interface GatewayServiceOptions {
  natsUrl: string;
  /** The gateway's own NATS identity. @default the credentials in the environment */
  natsCredentials?: NatsCredentials;
  logger: Logger;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 8080; 0 picks a free port */
  port?: number;
  /** Where other APIs' handlers reach this gateway (`api-<name>:8888`). @default "127.0.0.1" */
  internalHost?: string;
  /** @default 8888 */
  internalPort?: number;
  /** How long records are kept; the bucket's own max age when not given (set by the platform). */
  resultTtlMs?: number;
  /** @default 1 */
  replicas?: number;
  /** @default 100 MiB */
  maxBodyBytes?: number;
  /** Bytes of request bodies held in memory at once; past it, 503. @default 256 MiB, or 2 × maxBodyBytes if more */
  maxBodyMemoryBytes?: number;
  apiKeys?: ApiKeys | null;
  /** Origins whose pages may read the public listener's answers. @default [] (none) */
  corsOrigins?: readonly string[];
}

export interface GatewayService {
  url: string;
  internalUrl: string;
  /** Stops accepting, wakes long polls, and closes the NATS connection. */
  stop(): Promise<void>;
}

/**
 * A gateway on its own (`glia gateway`, a cluster's gateway pods): it routes every API in the
 * registry, so requests for an API whose workers are not up yet wait in its queue.
 */
export async function startGatewayService(o: GatewayServiceOptions): Promise<GatewayService> {
  const log = o.logger.child({ module: "gateway-service" });
  const nc = await connectNats(o.natsUrl, { name: "glia-gateway", maxReconnectAttempts: -1 }, o.natsCredentials);
  const s: { listeners: Listener[]; waiters?: RecordWaiters; stopWatch?: () => void } = { listeners: [] };
  const stop = async (): Promise<void> => {
    const closing = s.listeners.map((l) => l.close()); // stop accepting, then wake long polls
    s.waiters?.close();
    s.stopWatch?.();
    await Promise.all(closing);
    // A connection that cannot drain (NATS already gone) is closed, or it would retry for ever.
    await nc.drain().catch(async (err: unknown) => {
      log.warn({ err }, "draining the NATS connection failed; closing it");
      await nc.close();
    });
  };
  try {
    const stores = await openStores(nc, o.natsUrl, { ttlMs: o.resultTtlMs, replicas: o.replicas ?? 1 });
    const routes = new RouteTable();
    s.stopWatch = await routeRegistry(stores.registry, routes, log);
    const options = await gatewayOptions(nc, stores, routes, o);
    s.waiters = options.waiters;
    const internalAt = { host: o.internalHost ?? "127.0.0.1", port: o.internalPort ?? 8888, fallback: false };
    const internal = await listenInternal(createInternalApp(options), internalAt, log);
    s.listeners.push(internal);
    const listener = await listen(createGatewayApp(options), o.host ?? "127.0.0.1", o.port ?? 8080);
    s.listeners.push(listener);
    const url = urlFor(listener);
    log.info({ url, internal: urlFor(internal), nats: redactUrl(o.natsUrl) }, "gateway is up");
    return { url, internalUrl: urlFor(internal), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Keeps `routes` to the registry's APIs whose entries pass their checks and hold the claim to
 * their endpoint. A refused entry is logged and not routed; an API whose new entry is refused keeps
 * the route of its last good one (as the reconciler keeps its last good version running).
 */
async function routeRegistry(registry: ApiRegistry, routes: RouteTable, log: Logger): Promise<() => void> {
  const admitted = new Map<string, DeployedApi>();
  let claims: EndpointClaims = { held: new Map(), problems: [] };
  const update = (): void => {
    const routed = [...admitted.values()].filter((api) => claimProblem(api, claims) === null);
    routes.replace(routed.map((api): ApiRoute => ({ api: api.spec.name, endpoint: api.spec.endpoint })));
  };
  return registry.watch(
    (name, entry) => {
      if (entry === null) admitted.delete(name);
      else if (entry.api) admitted.set(name, entry.api);
      else log.error({ api: name, problem: entry.error.message }, "registry entry refused: not routed");
      update();
    },
    (changed) => {
      claims = changed;
      update();
    },
  );
}
