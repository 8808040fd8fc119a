import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats-connect.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_FILE_NAME, parseQuantity, quantityToNumber } from "../config/index.ts";
import { listProjectFiles, stageProject } from "./project-files.ts";
import type { Logger } from "../observability/index.ts";
import {
  answerScrapes,
  DeadLetters,
  PayloadStore,
  publishLog,
  ResultStore,
  WORKER_LINE,
  WorkQueue,
} from "../jobs/index.ts";
import {
  ApiWorker,
  AutoscaleLoop,
  autoscaleSettings,
  handlerFamilies,
  warnOnce,
  WorkerMetrics,
  type ScaleState,
} from "../worker/index.ts";
import {
  chownTree,
  ensureModels,
  handlerEnvironment,
  RuntimePool,
  RUNTIME_ROOT,
  threadsPerRuntime,
  type RuntimeLaunch,
} from "../runtime/index.ts";
import { requestTimeoutMs, type WorkerPlan } from "./worker-plan.ts";
import { LeaseTable } from "./lease-table.ts";
import type { LeaseChannel } from "./lease-protocol.ts";
import { RuntimeLeases } from "./runtime-leases.ts";
import { PlatformConfigError } from "./errors.ts";
import { ensureApiQueues } from "./api-queues.ts";

/** What a worker tells whoever started it. */
export interface WorkerEvents {
  /** A line of progress while it starts (e.g. models being fetched). */
  onProgress?: (line: string) => void;
  /** The autoscaler's latest decision and the runtimes' counts, after every tick. */
  onScale?: (scale: WorkerScale) => void;
}

/** An API's replicas as `glia get` shows them. */
export interface WorkerScale extends ScaleState {
  /** Runtimes serving (idle or busy). */
  ready: number;
}

export interface WorkerService {
  /** Stops pulling, lets running requests finish for up to `graceMs`, stops the runtimes. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Runs one API's worker and its runtime processes in this process (the body of `glia worker`),
 * as `plan` says. Resolves once every runtime reports SERVING and the worker pulls. A plan with
 * leases (`glia up`) needs `channel`, over which its runtimes' shares of the machine are leased.
 */
export async function startWorkerService(
  plan: WorkerPlan,
  logger: Logger,
  events: WorkerEvents = {},
  channel?: LeaseChannel,
): Promise<WorkerService> {
  const onProgress = events.onProgress ?? (() => {});
  const { spec } = plan;
  if (plan.leases && !channel)
    throw new PlatformConfigError(
      `the worker plan of ${spec.name} has leases but no channel to the platform to lease over`,
    );
  const { staged, projectDir } = await stage(plan);
  let nc: NatsConnection | undefined;
  let pool: RuntimePool | undefined;
  try {
    nc = await connectNats(
      plan.nats.url,
      { name: `glia-worker-${spec.name}`, maxReconnectAttempts: -1 },
      plan.nats.credentials ?? undefined,
    );
    const { replicas } = plan.nats;
    const ttlMs = plan.durations.resultTtlMs ?? undefined;
    const store = await ResultStore.open(nc, { ttlMs, replicas });
    const ackWaitMs = plan.durations.ackWaitMs ?? undefined;
    const queue = await WorkQueue.open(nc, { maxAgeMs: ttlMs, ackWaitMs, replicas });
    const deadLetters = await DeadLetters.open(nc, { maxAgeMs: ttlMs, replicas });
    if (!plan.nats.provisioned) await ensureApiQueues(spec, queue, deadLetters);
    const conn = nc;
    const say = (line: string): void => {
      onProgress(line);
      publishLog(conn, {
        api: spec.name,
        replica: WORKER_LINE,
        stream: "stdout",
        line,
        time: new Date().toISOString(),
      });
    };
    const launch = await launchOf(plan, projectDir, logger, say);
    launch.onLine = (l) => publishLog(conn, { ...l, api: spec.name, time: new Date().toISOString() });
    // Leased: replica i runs on the table's entry i, which the table changes as leases come and go.
    const table = plan.leases && channel ? new LeaseTable(plan.leases.initial, plan.leases.exclusive) : null;
    if (table) launch.devices = table.devices;
    pool = new RuntimePool(launch, plan.leases?.initial.length ?? spec.autoscaling.initReplicas);
    await pool.start();
    const metrics = new WorkerMetrics();
    const worker = new ApiWorker({
      api: spec.name,
      queue,
      store,
      pool,
      metrics,
      logger,
      retries: spec.glia.retries,
      deadLetters,
      payloads: await PayloadStore.open(nc, { ttlMs, replicas }),
      trustFirstDelivery: replicas === 1,
      requestTimeoutMs: requestTimeoutMs(plan),
    });
    await worker.start();
    const runtimes = pool;
    const leases = table && channel ? new RuntimeLeases(table, channel, runtimes) : null;
    const autoscaler = autoscaleLoop(plan, logger, {
      initial: runtimes.size,
      inFlight: () => queue.inFlight(spec.name),
      capacity: leases ? (want) => leases.capacity(want) : () => machineCapacity(spec, plan.gpus),
      // Pull loops follow the runtimes: added after them, removed before them.
      resize: async (n) => {
        if (n < worker.concurrency) await worker.setConcurrency(n);
        const from = runtimes.size;
        await runtimes.resize(n, hiddenGpus(plan, n - runtimes.counts().requested)).catch((err: unknown) => {
          leases?.lost();
          throw err;
        });
        leases?.resized(from, n);
        await worker.setConcurrency(n);
      },
      onState: (state) => {
        const counts = runtimes.counts();
        const ready = counts.ready + counts.busy;
        metrics.replicas.labels(spec.name, "requested").set(state.requested);
        metrics.replicas.labels(spec.name, "ready").set(ready);
        if (state.recommendation !== null) metrics.recommendation.labels(spec.name).set(state.recommendation);
        events.onScale?.({ ...state, ready });
      },
    });
    autoscaler.start();
    const dropped = warnOnce(logger.child({ module: "worker", api: spec.name }));
    const scrapes = answerScrapes(
      nc,
      async () => [
        ...(await metrics.families()),
        ...handlerFamilies(spec.name, await runtimes.handlerMetrics(500), dropped),
      ],
      logger,
    );
    return {
      stop: async (graceMs) => {
        scrapes.unsubscribe();
        autoscaler.stop();
        await stop(worker, runtimes, conn, graceMs);
        await rm(staged, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await pool?.stop(1_000);
    await nc?.close();
    await rm(staged, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The runtimes' working copy of exactly the project's files (Cortex's exclusions, `.cortexignore`),
 * private to this worker: a handler writing into its folder cannot change another API's copy (APIs
 * of one project share a bundle) or the next worker's. Runtimes running as another user own theirs.
 */
async function stage(plan: WorkerPlan): Promise<{ staged: string; projectDir: string }> {
  const staged = await mkdtemp(join(tmpdir(), `glia-project-${plan.spec.name}-`));
  const projectDir = join(staged, "project");
  const files = await listProjectFiles(plan.projectDir, join(plan.projectDir, CONFIG_FILE_NAME));
  await stageProject(files, projectDir);
  if (plan.runAs) await chownTree(staged, plan.runAs);
  return { staged, projectDir };
}

async function launchOf(
  plan: WorkerPlan,
  projectDir: string,
  logger: Logger,
  say: (line: string) => void,
): Promise<RuntimeLaunch> {
  const { spec } = plan;
  const { handler } = spec;
  // Models in object storage are fetched into the cache here, once for every runtime, with the
  // worker's own AWS settings: the runtimes see local folders, and no credentials.
  const models = await ensureModels(handler.models, {
    runAs: plan.runAs ?? undefined,
    onProgress: say,
    logger,
    env: plan.modelStore ?? {},
  });
  return {
    api: spec.name,
    python: plan.python,
    runtimeRoot: RUNTIME_ROOT,
    projectDir,
    handler: {
      type: handler.type,
      path: handler.path,
      config: handler.config,
      pythonPath: handler.pythonPath,
      logLevel: handler.logLevel,
      models: models.models,
    },
    env: {
      ...(await handlerEnvironment(projectDir, handler.env)),
      ...(plan.chainAddress ? { GLIA_CHAIN_ADDRESS: plan.chainAddress } : {}),
    },
    logger,
    devices: plan.gpus ?? undefined,
    threads: threadsPerRuntime({ cpu: spec.compute.cpu, replicas: spec.autoscaling.minReplicas }),
    runAs: plan.runAs ?? undefined,
  };
}

/**
 * The API's autoscaler, between min and max replicas, and as far as this machine has room, as a
 * node's allocatable resources bound a cluster (`capacity`): on `glia up`, as far as the GPUs and
 * CPU it can lease; in a pod, over the pod's GPU sets and as many runtimes as its cores hold.
 */
function autoscaleLoop(
  plan: WorkerPlan,
  logger: Logger,
  hooks: Pick<ConstructorParameters<typeof AutoscaleLoop>[0], "initial" | "inFlight" | "capacity" | "onState"> & {
    resize: (n: number) => Promise<void>;
  },
): AutoscaleLoop {
  const { spec } = plan;
  return new AutoscaleLoop({
    ...hooks,
    api: spec.name,
    settings: autoscaleSettings(spec.autoscaling),
    target: { resize: hooks.resize },
    logger,
    tickMs: plan.durations.autoscaleTickMs,
  });
}

/**
 * The devices of `added` runtimes of a pod's API without GPUs: none, as its first runtimes got
 * (see `--gpus`); undefined where the launch's devices say (a leased plan's table, or the pod's).
 */
function hiddenGpus(plan: WorkerPlan, added: number): string[][] | undefined {
  if (plan.leases || plan.spec.compute.gpu > 0 || plan.gpus === null) return undefined;
  return Array.from({ length: Math.max(0, added) }, () => []);
}

/**
 * The most runtimes of a pod's API its worker holds, and why; null when nothing but max_replicas
 * bounds it. (On `glia up` the platform leases GPUs and CPU instead, see capacity.ts.)
 */
export function machineCapacity(
  spec: { compute: { cpu: string | null; gpu: number }; autoscaling: { maxReplicas: number } },
  gpus: string[][] | null,
  cores = availableParallelism(),
): { replicas: number; why: string } | null {
  const { compute, autoscaling } = spec;
  if (compute.gpu > 0 && gpus)
    return {
      replicas: gpus.length,
      why: `${gpus.length} set(s) of ${compute.gpu} GPU(s) were free for it when it started`,
    };
  const cpu = compute.cpu === null ? null : parseQuantity(compute.cpu);
  const each = cpu ? quantityToNumber(cpu) : 0;
  if (each <= 0) return null;
  const fits = Math.max(1, Math.floor(cores / each + 1e-9));
  if (fits >= autoscaling.maxReplicas) return null;
  return {
    replicas: fits,
    why: `this machine's ${cores} CPU(s) hold ${fits} runtime(s) of compute.cpu ${compute.cpu}`,
  };
}

async function stop(worker: ApiWorker, pool: RuntimePool, nc: NatsConnection, graceMs: number): Promise<void> {
  await worker.stop(graceMs);
  await pool.stop(5_000);
  await nc.drain().catch(() => nc.close());
}
