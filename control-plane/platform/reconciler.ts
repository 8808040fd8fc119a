import { chmod, mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Logger } from "../observability/index.ts";
import {
  claimProblem,
  type ApiRegistry,
  type ApiStatus,
  type DeadLetters,
  type DeployedApi,
  type EndpointClaims,
  type RegistryEntry,
  type WorkQueue,
} from "../jobs/index.ts";
import type { RouteTable } from "../gateway/index.ts";
import { ensureEnvironment, type RunAs } from "../runtime/index.ts";
import { TICK_MS } from "../worker/index.ts";
import { ensureApiQueues } from "./api-queues.ts";
import { confineToBundle, unpackBundle } from "./bundle.ts";
import { WorkerProcess } from "./worker-process.ts";
import { modelStoreSettings, type WorkerPlan } from "./worker-plan.ts";
import type { WorkerScale } from "./worker-service.ts";
import { CapacityLedger, gpuMode } from "./capacity.ts";
import { leaseBroker } from "./worker-leases.ts";
import type { NatsCredentials } from "./nats-connect.ts";

export interface ReconcilerOptions {
  registry: ApiRegistry;
  queue: WorkQueue;
  /** Each API's dead-letter stream is made here, so its worker needs no right to create streams. */
  deadLetters?: DeadLetters;
  routes: RouteTable;
  natsUrl: string;
  /** Where bundles are unpacked. */
  dataDir: string;
  logger: Logger;
  chainAddress?: string;
  requestTimeoutMs?: number;
  ackWaitMs?: number;
  resultTtlMs?: number;
  /** How often each API's autoscaler samples and decides. @default 10 s */
  autoscaleTickMs?: number;
  /** Replicas of the streams workers create, for a clustered NATS. @default 1 */
  replicas?: number;
  /** The machine's GPUs, leased to runtimes by `compute.gpu`. @default none */
  gpus?: string[];
  /** The machine's CPUs, leased to runtimes by `compute.cpu`. @default the cores (`availableParallelism()`) */
  cpus?: number;
  /** Grace period for the old worker when an API is updated or deleted. @default 30 s */
  graceMs?: number;
  onProgress?: (line: string) => void;
  /**
   * Where the platform runs its own nats-server: each API's worker gets NATS credentials of its
   * own (`grant`), given up when the API is deleted (`revoke`). Absent, workers connect as the
   * environment says (a NATS given with --nats-url).
   */
  /** Build environments and run runtimes as this user (glia running as root with `--run-as`). */
  runAs?: RunAs;
  natsAccess?: {
    grant(api: string): Promise<NatsCredentials>;
    revoke(api: string): Promise<void>;
  };
}

/** How long an old worker's running requests may take to finish when it is replaced or deleted. */
const DEFAULT_GRACE_MS = 30_000;

interface Running {
  api: DeployedApi;
  worker: WorkerProcess;
}

/**
 * Makes the running workers match the registry: a new API gets a worker process, a changed one
 * gets a new worker before the old one is stopped (queued requests wait in the stream and are
 * served by whichever is up), a deleted one is stopped and its queue dropped. A deploy that cannot
 * start leaves the previous version serving and the API's status `error`. The machine's GPUs and
 * CPU are leased to the workers' runtimes as their autoscalers ask (see capacity.ts).
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #log: Logger;
  readonly #running = new Map<string, Running>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #capacity: CapacityLedger;
  #stopWatch: (() => void) | null = null;
  #stopping = false;
  /** The endpoint claims as last read: only an API holding its claim is run and routed. */
  #claims: EndpointClaims = { held: new Map(), problems: [] };
  /** The latest entry of each API refused for want of its claim, started once it holds it. */
  readonly #awaitingClaim = new Map<string, RegistryEntry>();
  /** The last status written for each API's replicas, so an unchanged tick writes nothing. */
  readonly #lastScale = new Map<string, string>();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#capacity = new CapacityLedger({
      gpus: options.gpus ?? [],
      cpuMillis: Math.round((options.cpus ?? availableParallelism()) * 1000),
    });
    this.#log = options.logger.child({ module: "reconciler" });
  }

  /** The worker process serving each API now. */
  get workers(): Map<string, WorkerProcess> {
    return new Map([...this.#running].map(([name, r]) => [name, r.worker]));
  }

  async start(): Promise<void> {
    // Bundles (with their .env files), specs and NATS data live here: glia's user alone may read them.
    await mkdir(this.#o.dataDir, { recursive: true, mode: 0o700 });
    await chmod(this.#o.dataDir, 0o700);
    this.#stopWatch = await this.#o.registry.watch(
      (name, entry) => this.#enqueue(name, entry),
      (claims) => this.#claimsChanged(claims),
    );
  }

  /** Waits until the deploy of `name` made at `deployedAt` serves, or failed (status `error`). */
  settled(name: string, deployedAt: string, timeoutMs: number): Promise<ApiStatus> {
    return Reconciler.waitForStatus(this.#o.registry, name, deployedAt, timeoutMs);
  }

  /** As {@link settled}, for any process that can read the registry (e.g. `glia deploy --wait`). */
  static async waitForStatus(
    registry: ApiRegistry,
    name: string,
    deployedAt: string,
    timeoutMs: number,
  ): Promise<ApiStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await registry.status(name);
      if (status && status.deployedAt === deployedAt && status.state !== "updating") return status;
      if (Date.now() > deadline) {
        const message = `${name} did not start within ${timeoutMs / 1000} s`;
        return { state: "error", deployedAt, bundle: null, replicas: 0, message, updatedAt: new Date().toISOString() };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#stopWatch?.();
    await Promise.all(this.#chains.values());
    await Promise.all([...this.#running.values()].map((r) => r.worker.stop(graceMs)));
    this.#running.clear();
  }

  /** Changes to one API are applied in order, one at a time. */
  #enqueue(name: string, entry: RegistryEntry | null): void {
    const previous = this.#chains.get(name) ?? Promise.resolve();
    const next = previous.then(() => (this.#stopping ? undefined : this.#admit(name, entry)));
    this.#chains.set(
      name,
      next.catch(() => {}),
    );
  }

  /**
   * An entry is untrusted input: one that fails its checks, or does not hold the claim to its
   * endpoint, is neither unpacked, run nor routed; its status says why, and whatever version of the
   * API runs keeps running (routed while it holds its claim).
   */
  async #admit(name: string, entry: RegistryEntry | null): Promise<void> {
    this.#awaitingClaim.delete(name);
    if (entry?.api) this.#claims = await this.#o.registry.claims(); // the claim is written before the entry
    const problem = entry?.error?.message ?? (entry?.api ? claimProblem(entry.api, this.#claims) : null);
    if (problem === null) return this.#apply(name, entry?.api ?? null);
    if (entry?.api) this.#awaitingClaim.set(name, entry);
    this.#log.error({ api: name, problem }, "registry entry refused: not unpacked, run or routed");
    const current = this.#running.get(name);
    await this.#setStatus(name, {
      state: "error",
      deployedAt: entry?.api?.deployedAt ?? "",
      bundle: current?.api.bundle ?? null,
      replicas: current?.api.spec.autoscaling.initReplicas ?? 0,
      message: problem,
    });
  }

  /** New claims: routes follow them, and an entry that was waiting for its claim is started. */
  #claimsChanged(claims: EndpointClaims): void {
    this.#claims = claims;
    this.#routesChanged();
    for (const [name, entry] of this.#awaitingClaim) {
      if (entry.api && claimProblem(entry.api, claims) === null) this.#enqueue(name, entry);
    }
  }

  async #apply(name: string, api: DeployedApi | null): Promise<void> {
    const current = this.#running.get(name);
    if (!api) return this.#remove(name, current);
    if (current && current.api.deployedAt === api.deployedAt) return;
    const replicas = api.spec.autoscaling.initReplicas;
    const { deployedAt } = api;
    await this.#setStatus(name, { state: "updating", deployedAt, bundle: current?.api.bundle ?? null, replicas });
    try {
      this.#sayGpus(api);
      const worker = await this.#startWorker(api);
      this.#running.set(name, { api, worker });
      this.#routesChanged();
      // It started as many runtimes as it got leases for; when fewer than init_replicas, it says why at once.
      const started = worker.leases().length;
      const held = worker.held && { recommendation: null, reason: "no samples yet", heldBy: worker.held };
      if (held) this.#o.onProgress?.(`[${name}] started ${started} of ${replicas} runtime(s): ${held.heldBy}`);
      const live = { state: "live" as const, deployedAt, bundle: api.bundle, replicas: started, ready: started };
      await this.#setStatus(name, { ...live, ...(held ? { autoscaler: held } : {}), ...this.#gpus(api, worker) });
      this.#log.info({ api: name, bundle: api.bundle }, current ? "API updated" : "API created");
      await current?.worker.stop(this.#o.graceMs ?? DEFAULT_GRACE_MS);
    } catch (err) {
      const message = (err as Error).message;
      this.#log.error({ api: name, err }, "deploy could not start; the previous version (if any) keeps serving");
      await this.#setStatus(name, {
        state: "error",
        deployedAt,
        bundle: current?.api.bundle ?? null,
        replicas,
        message,
      });
    }
  }

  /** Says, when an API starts, that its runtimes get no GPU or share them, as its compute.gpu and this machine make it. */
  #sayGpus(api: DeployedApi): void {
    const { name, compute } = api.spec;
    const inventory = this.#capacity.gpus;
    const say = (line: string): void => this.#o.onProgress?.(`[${name}] ${line}`);
    const mode = gpuMode(compute.gpu, inventory);
    if (mode === "missing") {
      say(`compute.gpu is ${compute.gpu} but this machine lends no GPU: the runtimes run without one`);
      this.#log.warn({ api: name, gpu: compute.gpu }, "no GPU on this machine; handlers see none and run on CPU");
    } else if (mode === "shared") {
      say(
        `compute.gpu is ${compute.gpu} but this machine has ${inventory.length} GPU(s): each runtime gets all of them (${inventory.join(",")}), shared with the API's other runtimes`,
      );
      this.#log.warn(
        { api: name, gpu: compute.gpu, gpus: inventory },
        "fewer GPUs than one runtime asks for; runtimes share them",
      );
    }
  }

  /** The devices of each runtime of an API with compute.gpu, for its status (nothing for one without). */
  #gpus(api: DeployedApi, worker: WorkerProcess): { gpus?: string[][] } {
    return api.spec.compute.gpu > 0 ? { gpus: worker.leases().map((l) => l.devices) } : {};
  }

  async #startWorker(api: DeployedApi): Promise<WorkerProcess> {
    const { spec } = api;
    const say = (line: string): void => this.#o.onProgress?.(`[${spec.name}] ${line}`);
    const projectDir = join(this.#o.dataDir, "bundles", api.bundle);
    await unpackBundle(await this.#o.registry.getBundle(api.bundle), projectDir);
    await confineToBundle(projectDir, spec);
    const env = await ensureEnvironment({
      requirementsFile: join(projectDir, spec.handler.dependencies.pip),
      shellFile: join(projectDir, spec.handler.dependencies.shell),
      projectDir,
      runAs: this.#o.runAs,
      onProgress: say,
    });
    say(`Python environment ${env.cached ? "reused" : "built"}: ${env.dir}`);
    await ensureApiQueues(spec, this.#o.queue, this.#o.deadLetters);
    say(`starting up to ${spec.autoscaling.initReplicas} runtime(s), as the machine's GPUs and CPUs allow`);
    const o = this.#o;
    const plan: WorkerPlan = {
      spec,
      projectDir,
      python: env.python,
      nats: {
        url: o.natsUrl,
        credentials: (await o.natsAccess?.grant(spec.name)) ?? null,
        replicas: o.replicas ?? 1,
        provisioned: true,
      },
      durations: {
        requestTimeoutMs: o.requestTimeoutMs ?? null,
        ackWaitMs: o.ackWaitMs ?? null,
        resultTtlMs: o.resultTtlMs ?? null,
        autoscaleTickMs: o.autoscaleTickMs ?? TICK_MS,
        stopGraceMs: o.graceMs ?? DEFAULT_GRACE_MS,
      },
      gpus: null,
      leases: null, // each worker process started gets its own, see WorkerProcess
      chainAddress: o.chainAddress ?? null,
      runAs: o.runAs ?? null,
      modelStore: modelStoreSettings(spec, process.env),
      logLevel: o.logger.level as WorkerPlan["logLevel"],
    };
    const worker = new WorkerProcess({
      plan,
      logger: o.logger,
      leases: leaseBroker(this.#capacity, spec, o.logger),
      onScale: (scale) => void this.#scaled(api, scale),
      onProgress: (line) => {
        say(line);
        const bundle = this.#running.get(spec.name)?.api.bundle ?? null; // still the one serving
        const status = { state: "updating" as const, deployedAt: api.deployedAt, bundle, message: line };
        void this.#setStatus(spec.name, { ...status, replicas: spec.autoscaling.initReplicas }).catch(() => {});
      },
    });
    await worker.start();
    return worker;
  }

  async #remove(name: string, current: Running | undefined): Promise<void> {
    this.#running.delete(name);
    this.#routesChanged();
    await current?.worker.stop(this.#o.graceMs ?? DEFAULT_GRACE_MS);
    await this.#o.queue.purge(name).catch(() => {}); // queued requests are dropped; stored results stay
    await this.#o.registry.clearStatus(name);
    await this.#o.natsAccess?.revoke(name);
    this.#log.info({ api: name }, "API deleted");
  }

  /** Routes every running API that holds the claim to its endpoint. */
  #routesChanged(): void {
    const claimed = [...this.#running.values()].filter(({ api }) => claimProblem(api, this.#claims) === null);
    this.#o.routes.replace(claimed.map(({ api }) => ({ api: api.spec.name, endpoint: api.spec.endpoint })));
  }

  /** The live status of a running API after an autoscaler tick, written when something changed. */
  async #scaled(api: DeployedApi, scale: WorkerScale): Promise<void> {
    const name = api.spec.name;
    const running = this.#running.get(name);
    if (!running || running.api.deployedAt !== api.deployedAt) return; // not (or no longer) the serving version
    const status: Omit<ApiStatus, "updatedAt"> = {
      state: "live",
      deployedAt: api.deployedAt,
      bundle: api.bundle,
      replicas: scale.requested,
      ready: scale.ready,
      autoscaler: { recommendation: scale.recommendation, reason: scale.reason, heldBy: scale.heldBy },
      ...this.#gpus(api, running.worker),
    };
    const key = JSON.stringify(status);
    if (this.#lastScale.get(name) === key) return;
    this.#lastScale.set(name, key);
    await this.#setStatus(name, status).catch((err: unknown) =>
      this.#log.warn({ api: name, err }, "could not record the API's replicas"),
    );
  }

  async #setStatus(name: string, status: Omit<ApiStatus, "updatedAt">): Promise<void> {
    await this.#o.registry.setStatus(name, { ...status, updatedAt: new Date().toISOString() });
  }
}
