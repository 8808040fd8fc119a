import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "../observability/index.ts";
import { ChildExitedError, describeExit, startChild, Supervisor, type Child } from "../process/index.ts";
import { WorkerStartError } from "./errors.ts";
import type { NatsCredentials } from "./nats-connect.ts";
import { inheritedEnvironment } from "../runtime/index.ts";
import type { WorkerPlan } from "./worker-plan.ts";
import type { ParentMessage, WorkerMessage } from "./worker-serve.ts";
import type { WorkerScale } from "./worker-service.ts";
import type { Lease } from "./capacity.ts";
import type { LeaseBroker, LeaseSession } from "./worker-leases.ts";

const WORKER_MAIN = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How long a worker has, past the grace period for its running requests, to stop its runtimes. */
const STOP_SLACK_MS = 10_000;

/** A worker process is started with its plan, sent over the IPC channel (never on a command line). */
export interface WorkerProcessOptions {
  plan: WorkerPlan;
  logger: Logger;
  /** Receives the worker's progress lines while it starts (e.g. models being fetched). */
  onProgress?: (line: string) => void;
  /** Receives the autoscaler's decisions and the runtimes' counts, every tick. */
  onScale?: (scale: WorkerScale) => void;
  /**
   * Leases the runtimes' shares of the machine (`glia up`): each process started gets its first
   * leases in its plan, asks for more over its IPC channel, and gives back all it holds when it
   * exits, however it exits. Absent, the plan is sent as it is.
   */
  leases?: LeaseBroker;
}

/**
 * One worker child process serving one API, supervised: started with its plan, awaited until its
 * runtimes serve, restarted with back-off if it dies (0.5 s doubling to 30 s, see process/),
 * stopped with a grace period.
 */
export class WorkerProcess {
  readonly #o: WorkerProcessOptions;
  readonly #log: Logger;
  readonly #supervisor: Supervisor;
  /** The leases of the process running now (or last). */
  #session: LeaseSession | null = null;

  constructor(options: WorkerProcessOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: "worker-process", api: options.plan.spec.name });
    this.#supervisor = new Supervisor({
      start: (signal) => this.#startOne(signal),
      onExit: ({ code, signal }) =>
        this.#log.error(
          { code, signal },
          "worker process died; its running requests go back to the queue; restarting it",
        ),
      onRestartFailed: (err) => this.#log.error({ err }, "worker process restart failed"),
    });
  }

  /** What the worker was started with. */
  get plan(): WorkerPlan {
    return this.#o.plan;
  }

  get pid(): number | undefined {
    return this.#supervisor.pid;
  }

  /** The leases its process holds now (none without a {@link WorkerProcessOptions.leases} broker). */
  leases(): Lease[] {
    return this.#session?.leases() ?? [];
  }

  /** Why its process started fewer runtimes than `init_replicas`, if it did. */
  get held(): string | null {
    return this.#session?.held ?? null;
  }

  /** Starts the child and resolves once it reports ready; rejects with why it could not start. */
  async start(): Promise<void> {
    await this.#supervisor.start();
  }

  /**
   * The child stops pulling and finishes running requests for up to `graceMs`, then exits; it is
   * killed if it is still there 10 s after that.
   */
  stop(graceMs: number): Promise<void> {
    return this.#supervisor.stop(graceMs);
  }

  /** One worker process, sent its plan first; ready once it says so. */
  async #startOne(signal: AbortSignal): Promise<Child> {
    const { plan } = this.#o;
    const child = await startChild({
      command: process.execPath,
      args: [...process.execArgv, WORKER_MAIN, plan.spec.name],
      cwd: ROOT,
      env: workerEnvironment(process.env, plan.nats.credentials),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      onSpawn: (c) => this.#spawned(c),
      ready: (c) => this.#ready(c),
      requestStop: (c, graceMs) =>
        c.connected ? c.send({ type: "stop", graceMs } satisfies ParentMessage) : c.kill("SIGTERM"),
      killSlackMs: STOP_SLACK_MS,
      signal,
    }).catch((err: unknown) => {
      throw this.#startError(err);
    });
    this.#log.info({ workerPid: child.pid }, "worker process ready");
    return child;
  }

  /** A process was spawned: its plan (with its first leases), its messages, its leases back at its exit. */
  #spawned(child: ChildProcess): void {
    const session = this.#o.leases?.open() ?? null;
    this.#session = session;
    child.once("exit", () => session?.close());
    const plan = session ? { ...this.#o.plan, leases: session.plan } : this.#o.plan;
    child.send({ type: "plan", plan } satisfies ParentMessage);
    child.on("message", (m: WorkerMessage) => {
      if (m.type === "scale") this.#o.onScale?.(m.scale);
      const reply = session?.answer(m);
      if (reply && child.connected) child.send(reply satisfies ParentMessage);
    });
  }

  #ready(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      child.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") resolve();
        else if (m.type === "progress") this.#o.onProgress?.(m.line);
        else if (m.type === "failed") reject(new WorkerStartError(this.#o.plan.spec.name, m.code, m.message));
      });
    });
  }

  /** An exit before "ready" (a "failed" message sent just before it is read first, see process/). */
  #startError(err: unknown): unknown {
    const api = this.#o.plan.spec.name;
    if (err instanceof ChildExitedError)
      return new WorkerStartError(
        api,
        "WORKER_EXITED",
        `the worker process ${describeExit(err.status)} before it was ready`,
      );
    if (err instanceof WorkerStartError) return err;
    return new WorkerStartError(
      api,
      "WORKER_START_FAILED",
      `the worker process could not be started: ${(err as Error).message}`,
    );
  }
}

/**
 * glia's own settings a worker reads (`GLIA_LOG_LEVEL`, `GLIA_PYTHON`, `GLIA_CACHE_DIR`...), less
 * its API keys. AWS settings are not among them: a worker that fetches models gets them in its plan.
 */
const WORKER_SETTINGS = /^(GLIA_|NODE_)/;
const PLATFORM_SECRETS = new Set(["GLIA_API_KEYS"]);

/**
 * A worker's environment: what a handler may see of glia's own (see runtime/handler-env.ts), and
 * glia's and Node's settings less the API keys. With an identity of its own (glia's nats-server,
 * named in its plan) that is all it gets; with a NATS given by URL it shares the token or creds
 * file the platform was given, which it needs to connect.
 */
export function workerEnvironment(env: NodeJS.ProcessEnv, credentials: NatsCredentials | null): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = inheritedEnvironment(env);
  for (const [name, value] of Object.entries(env))
    if (WORKER_SETTINGS.test(name) && !PLATFORM_SECRETS.has(name)) out[name] = value;
  if (credentials?.nkeyFile) return out; // its identity is in its plan
  for (const name of ["NATS_TOKEN", "NATS_CREDS", "NATS_NKEY", "NATS_INBOX_PREFIX"])
    if (env[name]) out[name] = env[name];
  return out;
}
