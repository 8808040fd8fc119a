import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, credentialsFromEnv, redactUrl, type NatsCredentials } from "./nats-connect.ts";
import { LocalNatsAuth } from "./nats-auth.ts";
import { gliaEnvironment, type LoadedProject } from "../config/index.ts";
import { listProjectFiles } from "./project-files.ts";
import type { Logger } from "../observability/index.ts";
import { type ApiRegistry, type RecordWaiters, DeadLetters, DEFAULT_RESULT_TTL_MS } from "../jobs/index.ts";
import { type ApiKeys, createGatewayApp, createInternalApp, type NotReady, RouteTable } from "../gateway/index.ts";
import { gatewayOptions, listenInternal, openStores, urlFor } from "./gateway-service.ts";
import type { WorkerProcess } from "./worker-process.ts";
import { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
import { checkRunAs } from "./run-as.ts";
import type { RunAs } from "../runtime/index.ts";
import { detectGpus } from "./gpus.ts";
import { deployProject } from "./deploy.ts";
import { removeState, writeState } from "./state.ts";
import { startNatsServer, type NatsServer } from "./nats-server.ts";
import { listen, type Listener } from "./http.ts";
import { PlatformConfigError, WorkerStartError } from "./errors.ts";

export interface UpOptions {
  projects: LoadedProject[];
  logger: Logger;
  /** Public listener. @default "127.0.0.1" */
  host?: string;
  /** @default 8080; 0 picks a free port */
  port?: number;
  /**
   * Port of the internal listener handlers reach at `http://api-<name>:8888/` (on 127.0.0.1).
   * If it is taken, a free port is used instead: runtimes map port 8888 of `api-*` hosts to it.
   * @default 8888
   */
  internalPort?: number;
  /** Use this NATS server instead of starting one. */
  natsUrl?: string;
  /** Where a started nats-server keeps its data. */
  dataDir: string;
  /** How long records and results are kept. @default 7 days */
  resultTtlMs?: number;
  /** Deadline of one handler call. */
  requestTimeoutMs?: number;
  /** How long a delivery may go unacknowledged before JetStream hands it out again; running requests renew it. @default 30 s */
  ackWaitMs?: number;
  /** How often each API's autoscaler samples its queue and decides. @default 10 s, as Cortex */
  autoscaleTickMs?: number;
  /** Largest accepted body; those over the NATS server's max_payload go through the object store. @default 100 MiB */
  maxBodyBytes?: number;
  /** Lines of progress while environments are built and processes start. */
  onProgress?: (line: string) => void;
  /** When set, the public listener requires one of these keys. */
  apiKeys?: ApiKeys | null;
  /** Origins whose pages may read the public listener's answers. @default [] (none) */
  corsOrigins?: readonly string[];
  /** Replicas of every stream, bucket and object store, for a clustered NATS. @default 1 */
  replicas?: number;
  /**
   * Run handlers and dependency scripts as this unprivileged user; glia must run as root. Without
   * it, they run as glia's own user, and glia warns when that is root.
   */
  runAs?: RunAs;
  /** The GPUs (CUDA device ids) handed out to runtimes by `compute.gpu`. @default {@link detectGpus} */
  gpus?: string[];
}

export interface ServedApi {
  name: string;
  endpoint: string;
  url: string;
  replicas: number;
}

export interface Platform {
  url: string;
  /** The internal listener, on loopback: what handlers reach as `http://api-<name>:8888/`. */
  internalUrl: string;
  apis: ServedApi[];
  nc: NatsConnection;
  /** The NATS server's URL, and the platform's own credentials when glia started the server. */
  nats: { url: string; credentials?: NatsCredentials; pid?: number };
  /** One supervised `glia worker` process per API. */
  workers: Map<string, WorkerProcess>;
  /** Stops taking requests, lets running ones finish for up to `graceMs`, then stops everything. */
  stop(graceMs?: number): Promise<void>;
}

interface Started {
  nats?: NatsServer;
  auth?: LocalNatsAuth;
  nc?: NatsConnection;
  reconciler?: Reconciler;
  listener?: Listener;
  internal?: Listener;
  waiters?: RecordWaiters;
  stateFile?: string;
  /** Set once every given project's APIs serve and the state file is written (`/readyz` answers 200). */
  ready?: boolean;
  stopping?: boolean;
}

/** JetStream keeps at most five copies of a stream. */
const MAX_REPLICAS = 5;

/** How long `up` waits for each given project's APIs to serve (environments may need building). */
const DEPLOY_TIMEOUT_MS = 30 * 60_000;

/**
 * Starts the whole local platform — NATS (unless given), the gateway, the reconcile loop — then
 * deploys the given projects and waits until their APIs serve. APIs deployed earlier on the same
 * data folder are served again too.
 */
export async function up(options: UpOptions): Promise<Platform> {
  checkUnique(options.projects);
  checkReplicas(options);
  // Refuse an oversized project (one file or the whole over 32 MiB) before anything starts.
  await Promise.all(options.projects.map((p) => listProjectFiles(p.projectDir, p.configFile)));
  const s: Started = {};
  try {
    return await startAll(options, s);
  } catch (err) {
    await stopAll(s, 1_000, options.logger);
    throw err;
  }
}

async function startAll(options: UpOptions, s: Started): Promise<Platform> {
  const log = options.logger.child({ module: "platform" });
  // The data folder holds bundles, specs and NATS's store and keys: this user's alone.
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  await chmod(options.dataDir, 0o700);
  await checkHandlerUser(options, log);
  if (!options.natsUrl) await startLocalNats(options.dataDir, s, log);
  const natsUrl = options.natsUrl ?? s.nats!.url;
  const nc = await connectNats(
    natsUrl,
    { name: "glia", maxReconnectAttempts: -1 },
    s.auth ? s.auth.identity({ kind: "platform" }) : credentialsFromEnv(),
  );
  s.nc = nc;
  const ttlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
  const replicas = options.replicas ?? 1;
  const stores = await openStores(nc, natsUrl, { ttlMs, replicas, ackWaitMs: options.ackWaitMs });
  const { registry, queue } = stores;
  const routes = new RouteTable();
  const gateway = await gatewayOptions(nc, stores, routes, options);
  s.waiters = gateway.waiters;
  const internalAt = { host: "127.0.0.1", port: options.internalPort ?? 8888, fallback: true };
  s.internal = await listenInternal(createInternalApp(gateway), internalAt, log);
  s.reconciler = new Reconciler({
    registry,
    queue,
    deadLetters: await DeadLetters.open(nc, { maxAgeMs: ttlMs, replicas }),
    routes,
    natsUrl,
    dataDir: options.dataDir,
    logger: options.logger,
    chainAddress: `127.0.0.1:${s.internal.port}`,
    requestTimeoutMs: options.requestTimeoutMs,
    ackWaitMs: options.ackWaitMs,
    resultTtlMs: options.resultTtlMs,
    autoscaleTickMs: options.autoscaleTickMs,
    replicas,
    gpus: options.gpus ?? (await detectGpus()),
    onProgress: options.onProgress,
    natsAccess: s.auth ? workerAccess(s.auth, s.nats!) : undefined,
    runAs: options.runAs,
  });
  await s.reconciler.start();
  const readiness = (): NotReady | null => readinessOf(s, routes, options.projects);
  s.listener = await listen(
    createGatewayApp({ ...gateway, readiness }),
    options.host ?? "127.0.0.1",
    options.port ?? 8080,
  );
  const url = urlFor(s.listener);
  for (const project of options.projects) await deployAndWait(registry, s.reconciler, project);
  s.stateFile = await writeState({
    natsUrl,
    url,
    pid: process.pid,
    ...(s.auth
      ? { nats: { cli: s.auth.identity({ kind: "cli" }), gateway: s.auth.identity({ kind: "gateway" }) } }
      : {}),
  });
  s.ready = true;
  log.info({ url, nats: redactUrl(natsUrl), apis: routes.routes.map((r) => r.api) }, "glia is up");
  const reconciler = s.reconciler;
  return {
    url,
    internalUrl: urlFor(s.internal),
    nc,
    nats: {
      url: natsUrl,
      credentials: s.auth ? s.auth.identity({ kind: "platform" }) : undefined,
      pid: s.nats?.pid,
    },
    get workers() {
      return reconciler.workers;
    },
    apis: options.projects.flatMap((p) =>
      p.apis.map((spec) => ({
        name: spec.name,
        endpoint: spec.endpoint,
        url: `${url}${spec.endpoint}`,
        replicas: spec.autoscaling.initReplicas,
      })),
    ),
    stop: (graceMs = 30_000) => stopAll(s, graceMs, options.logger),
  };
}

/** Ready once every API of the given projects is routed and start-up is done; not while stopping. */
function readinessOf(s: Started, routes: RouteTable, projects: LoadedProject[]): NotReady | null {
  if (s.stopping) return { reason: "glia is stopping", waiting: [] };
  const waiting = projects.flatMap((p) => p.apis.map((spec) => spec.name)).filter((name) => !routes.byApi(name));
  if (waiting.length) return { reason: "waiting for the APIs given at start to serve", waiting };
  return s.ready ? null : { reason: "glia is starting", waiting: [] };
}

/**
 * Handlers are other people's code: run as root they could read everything glia can. With
 * `--run-as` the user is checked before anything is built; as root without it, glia says so.
 */
async function checkHandlerUser(options: UpOptions, log: Logger): Promise<void> {
  if (options.runAs) {
    await checkRunAs(options.runAs, gliaEnvironment().python);
    return;
  }
  if (process.getuid?.() !== 0) return;
  const warning =
    "handlers and dependencies.sh run as root: a handler can read whatever glia can (its NATS keys, every API's data); " +
    "start glia with --run-as USER (e.g. --run-as nobody) to run them as an unprivileged user";
  log.warn(warning);
  options.onProgress?.(`warning: ${warning}`);
}

/**
 * Starts glia's own nats-server with authorization: every process connects with an NKey of its
 * role (see nats-auth.ts); nobody else, local users and handlers included, can connect.
 */
async function startLocalNats(dataDir: string, s: Started, log: Logger): Promise<void> {
  const natsDir = join(dataDir, "nats");
  await mkdir(natsDir, { recursive: true, mode: 0o700 });
  await chmod(natsDir, 0o700);
  const auth = await LocalNatsAuth.create(join(natsDir, "auth"));
  s.auth = auth;
  // Its warnings and errors (a refused connection, a permissions violation) are the platform's.
  const onLog = (line: string): void => {
    if (/\[(ERR|WRN|FTL)\]/.test(line)) log.warn({ natsServer: line.replace(/^.*?\[/, "[") }, "nats-server");
  };
  s.nats = await startNatsServer({ dataDir: natsDir, authorization: () => auth.authorization(), onLog });
}

/** Each API's worker gets a NATS identity of its own, in force before the worker starts. */
function workerAccess(auth: LocalNatsAuth, nats: NatsServer): NonNullable<ReconcilerOptions["natsAccess"]> {
  return {
    grant: async (api) => {
      const { identity, added } = await auth.worker(api);
      if (added) await nats.reload();
      return identity;
    },
    revoke: async (api) => {
      if (await auth.removeWorker(api)) await nats.reload();
    },
  };
}

async function deployAndWait(registry: ApiRegistry, reconciler: Reconciler, project: LoadedProject): Promise<void> {
  for (const result of await deployProject(registry, project)) {
    const status = await reconciler.settled(result.name, result.deployedAt, DEPLOY_TIMEOUT_MS);
    if (status.state === "error")
      throw new WorkerStartError(result.name, "DEPLOY_FAILED", status.message ?? "unknown error");
  }
}

function checkReplicas(options: UpOptions): void {
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
    throw new PlatformConfigError(
      `replicas must be a whole number from 1 to ${MAX_REPLICAS} (JetStream's limit), got ${replicas}`,
    );
  if (replicas > 1 && !options.natsUrl)
    throw new PlatformConfigError(
      `${replicas} replicas need a clustered NATS: give its servers with --nats-url (e.g. nats://a:4222,nats://b:4222,nats://c:4222); ` +
        "the nats-server glia starts itself is a single server",
    );
}

function checkUnique(projects: LoadedProject[]): void {
  const seen = new Map<string, string>();
  for (const p of projects) {
    for (const spec of p.apis) {
      for (const key of [`name ${spec.name}`, `endpoint ${spec.endpoint}`]) {
        const other = seen.get(key);
        if (other)
          throw new PlatformConfigError(
            `two APIs share the ${key}: one in ${other}, one in ${p.projectDir}; rename one of them`,
          );
        seen.set(key, p.projectDir);
      }
    }
  }
}

async function stopAll(s: Started, graceMs: number, logger: Logger): Promise<void> {
  const log = logger.child({ module: "platform" });
  s.stopping = true;
  const closing = [s.listener?.close(), s.internal?.close()]; // stop accepting, then wake long polls
  s.waiters?.close();
  await Promise.all(closing);
  log.debug("gateway closed");
  await s.reconciler?.stop(graceMs);
  log.debug("workers stopped");
  // A terminal's Ctrl-C reaches nats-server too, which may be gone before the drain: then close,
  // or the client would try to reconnect for ever and keep this process alive.
  await s.nc?.drain().catch(async (err: unknown) => {
    log.warn({ err }, "draining the NATS connection failed; closing it");
    await s.nc?.close();
  });
  await s.nats?.stop();
  if (s.stateFile) await removeState(s.stateFile);
  log.info("glia stopped");
}
