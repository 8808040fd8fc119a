import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats-connect.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_FILE_NAME } from "../config/index.ts";
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
import { ApiWorker, handlerFamilies, maxDeliveries, warnOnce, WorkerMetrics } from "../worker/index.ts";
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

export interface WorkerService {
  /** Stops pulling, lets running requests finish for up to `graceMs`, stops the runtimes. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Runs one API's worker and its runtime processes in this process (the body of `glia worker`),
 * as `plan` says. Resolves once every runtime reports SERVING and the worker pulls.
 */
export async function startWorkerService(
  plan: WorkerPlan,
  logger: Logger,
  onProgress: (line: string) => void = () => {},
): Promise<WorkerService> {
  const { spec } = plan;
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
    if (!plan.nats.provisioned) {
      await deadLetters.ensure(spec.name);
      await queue.ensure(spec.name, {
        maxQueued: spec.glia.maxQueuedRequests,
        maxDeliver: maxDeliveries(spec.glia.retries),
      });
    }
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
    pool = new RuntimePool(launch, spec.autoscaling.minReplicas);
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

async function stop(worker: ApiWorker, pool: RuntimePool, nc: NatsConnection, graceMs: number): Promise<void> {
  await worker.stop(graceMs);
  await pool.stop(5_000);
  await nc.drain().catch(() => nc.close());
}
