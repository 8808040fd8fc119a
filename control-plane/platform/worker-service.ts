import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats-connect.ts";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkResolvedSpec,
  listProjectFiles,
  loadProject,
  RegistryEntryError,
  stageProject,
  type ResolvedApiSpec,
} from "../config/index.ts";
import type { Logger } from "../observability/index.ts";
import { answerScrapes, DeadLetters, PayloadStore, publishLog, ResultStore, WorkQueue } from "../jobs/index.ts";
import { ApiWorker, handlerFamilies, maxDeliveries, warnOnce, WorkerMetrics } from "../worker/index.ts";
import {
  chownTree,
  handlerEnvironment,
  type RunAs,
  RuntimePool,
  RUNTIME_ROOT,
  threadsPerRuntime,
  type RuntimeLaunch,
} from "../runtime/index.ts";
import { PlatformConfigError } from "./errors.ts";

/** What one worker process serves: one API of one project. */
export interface WorkerServiceOptions {
  projectDir: string;
  api: string;
  natsUrl: string;
  /** The interpreter of the API's Python environment. */
  python: string;
  logger: Logger;
  requestTimeoutMs?: number;
  ackWaitMs?: number;
  resultTtlMs?: number;
  /** Where `api-<name>:8888` is served locally (`host:port`); unset in a cluster, where DNS answers. */
  chainAddress?: string;
  /**
   * A JSON file holding the API's resolved spec, for a project folder without its cortex.yaml (an
   * unpacked bundle). Without it the spec is read from the project's cortex.yaml.
   */
  specFile?: string;
  /** Replicas of the streams and stores, for a clustered NATS. @default 1 */
  replicas?: number;
  /** The CUDA devices of each runtime (one list per replica). @default the process's own environment */
  gpus?: string[][];
  /**
   * The platform made the API's streams already (glia up): the worker only uses them, and needs
   * no right to create them. @default false (a cluster's worker makes them itself)
   */
  provisioned?: boolean;
  /** Run the runtimes as this user (glia running as root with `--run-as`); the staged project is theirs. */
  runAs?: RunAs;
}

export interface WorkerService {
  /** Stops pulling, lets running requests finish for up to `graceMs`, stops the runtimes. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Runs one API's worker and its runtime processes in this process (the body of `glia worker`).
 * Resolves once every runtime reports SERVING and the worker pulls.
 */
export async function startWorkerService(options: WorkerServiceOptions): Promise<WorkerService> {
  const { spec, configFile } = await apiSpec(options);
  // The runtime sees a staged copy of exactly the project's files (Cortex's exclusions, .cortexignore).
  const staged = await mkdtemp(join(tmpdir(), `glia-project-${spec.name}-`));
  await stageProject(await listProjectFiles(options.projectDir, configFile), join(staged, "project"));
  const projectDir = join(staged, "project");
  if (options.runAs) await chownTree(staged, options.runAs); // the handler's own copy
  const nc = await connectNats(options.natsUrl, { name: `glia-worker-${spec.name}`, maxReconnectAttempts: -1 });
  let pool: RuntimePool | undefined;
  try {
    const replicas = options.replicas ?? 1;
    const store = await ResultStore.open(nc, { ttlMs: options.resultTtlMs, replicas });
    const queue = await WorkQueue.open(nc, { maxAgeMs: options.resultTtlMs, ackWaitMs: options.ackWaitMs, replicas });
    const deadLetters = await DeadLetters.open(nc, { maxAgeMs: options.resultTtlMs, replicas });
    if (!options.provisioned) {
      await deadLetters.ensure(spec.name);
      await queue.ensure(spec.name, {
        maxQueued: spec.glia.maxQueuedRequests,
        maxDeliver: maxDeliveries(spec.glia.retries),
      });
    }
    const launch = await launchOf(spec, { ...options, projectDir });
    launch.onLine = (l) => publishLog(nc, { ...l, api: spec.name, time: new Date().toISOString() });
    if (options.gpus && options.gpus.length !== spec.autoscaling.minReplicas)
      throw new PlatformConfigError(
        `--gpus lists ${options.gpus.length} runtime(s) but ${spec.name} runs ${spec.autoscaling.minReplicas}: give one list per runtime, apart by ";"`,
      );
    launch.devices = options.gpus;
    pool = new RuntimePool(launch, spec.autoscaling.minReplicas);
    await pool.start();
    const metrics = new WorkerMetrics();
    const worker = new ApiWorker({
      api: spec.name,
      queue,
      store,
      pool,
      metrics,
      logger: options.logger,
      retries: spec.glia.retries,
      deadLetters,
      payloads: await PayloadStore.open(nc, { ttlMs: options.resultTtlMs, replicas }),
      trustFirstDelivery: replicas === 1,
      // The API's own timeout wins over the platform's default.
      requestTimeoutMs: spec.glia.timeoutSeconds === null ? options.requestTimeoutMs : spec.glia.timeoutSeconds * 1000,
    });
    await worker.start();
    const runtimes = pool;
    const dropped = warnOnce(options.logger.child({ module: "worker", api: spec.name }));
    const scrapes = answerScrapes(
      nc,
      async () => [
        ...(await metrics.families()),
        ...handlerFamilies(spec.name, await runtimes.handlerMetrics(500), dropped),
      ],
      options.logger,
    );
    return {
      stop: async (graceMs) => {
        scrapes.unsubscribe();
        await stop(worker, pool!, nc, graceMs);
        await rm(staged, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await pool?.stop(1_000);
    await nc.close();
    await rm(staged, { recursive: true, force: true });
    throw err;
  }
}

async function apiSpec(options: WorkerServiceOptions): Promise<{ spec: ResolvedApiSpec; configFile: string }> {
  const { projectDir, api, specFile } = options;
  if (specFile) return { spec: await readSpecFile(specFile, api), configFile: specFile };
  const project = await loadProject(projectDir);
  const spec = project.apis.find((a) => a.name === api);
  if (!spec) throw new PlatformConfigError(`${project.configFile} defines no API named ${api}`);
  return { spec, configFile: project.configFile };
}

/** The spec in `file`, checked as untrusted input like the registry entry it was copied from. */
async function readSpecFile(file: string, api: string): Promise<ResolvedApiSpec> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new PlatformConfigError(`the API spec in ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const spec = checkResolvedSpec(file, value);
  if (spec instanceof RegistryEntryError) throw spec;
  if (spec.name !== api) throw new PlatformConfigError(`the API spec in ${file} is for ${spec.name}, not ${api}`);
  return spec;
}

async function launchOf(spec: ResolvedApiSpec, options: WorkerServiceOptions): Promise<RuntimeLaunch> {
  const { handler } = spec;
  return {
    api: spec.name,
    python: options.python,
    runtimeRoot: RUNTIME_ROOT,
    projectDir: options.projectDir,
    handler: {
      type: handler.type,
      path: handler.path,
      config: handler.config,
      pythonPath: handler.pythonPath,
      logLevel: handler.logLevel,
      models: handler.models,
    },
    env: {
      ...(await handlerEnvironment(options.projectDir, handler.env)),
      ...(options.chainAddress ? { GLIA_CHAIN_ADDRESS: options.chainAddress } : {}),
    },
    logger: options.logger,
    threads: threadsPerRuntime({ cpu: spec.compute.cpu, replicas: spec.autoscaling.minReplicas }),
    runAs: options.runAs,
  };
}

async function stop(worker: ApiWorker, pool: RuntimePool, nc: NatsConnection, graceMs: number): Promise<void> {
  await worker.stop(graceMs);
  await pool.stop(5_000);
  await nc.drain().catch(() => nc.close());
}
