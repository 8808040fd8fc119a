import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.ts";
import { WorkerStartError } from "./errors.ts";
import type { NatsCredentials } from "./nats-connect.ts";
import { inheritedEnvironment } from "../runtime/index.ts";
import type { WorkerPlan } from "./worker-plan.ts";
import type { ParentMessage, WorkerMessage } from "./worker-serve.ts";

const WORKER_MAIN = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Restart back-off after a crash: 0.5 s doubling to 30 s; reset after a minute up. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_RESET_MS = 60_000;

/** A worker process is started with its plan, sent over the IPC channel (never on a command line). */
export interface WorkerProcessOptions {
  plan: WorkerPlan;
  logger: Logger;
  /** Receives the worker's progress lines while it starts (e.g. models being fetched). */
  onProgress?: (line: string) => void;
}

/**
 * One worker child process serving one API, supervised: started with its plan, awaited until its
 * runtimes serve, restarted with back-off if it dies, stopped with a grace period.
 */
export class WorkerProcess {
  readonly #o: WorkerProcessOptions;
  readonly #log: Logger;
  #child: ChildProcess | null = null;
  #stopping = false;
  #failures = 0;
  #startedAt = 0;

  constructor(options: WorkerProcessOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: "worker-process", api: options.plan.spec.name });
  }

  /** What the worker was started with. */
  get plan(): WorkerPlan {
    return this.#o.plan;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the child and resolves once it reports ready; rejects with why it could not start. */
  async start(): Promise<void> {
    const { plan } = this.#o;
    const child = spawn(process.execPath, [...process.execArgv, WORKER_MAIN, plan.spec.name], {
      cwd: ROOT,
      env: workerEnvironment(process.env, plan.nats.credentials),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child = child;
    const send: ParentMessage = { type: "plan", plan };
    child.send(send);
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    await Promise.race([this.#ready(child), exited.then(([code, signal]) => this.#earlyExit(code, signal))]);
    this.#startedAt = Date.now();
    void exited.then(([code, signal]) => this.#onExit(child, code, signal));
    this.#log.info({ workerPid: child.pid }, "worker process ready");
  }

  /** The child stops pulling and finishes running requests for up to `graceMs`, then exits. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    const stop: ParentMessage = { type: "stop", graceMs };
    if (child.connected) child.send(stop);
    else child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs + 10_000);
    await exited;
    clearTimeout(timer);
  }

  #ready(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      child.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") resolve();
        else if (m.type === "progress") this.#o.onProgress?.(m.line);
        else reject(new WorkerStartError(this.#o.plan.spec.name, m.code, m.message));
      });
    });
  }

  async #earlyExit(code: number | null, signal: string | null): Promise<never> {
    await sleep(50); // a "failed" message sent just before exiting may still be in flight
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    throw new WorkerStartError(
      this.#o.plan.spec.name,
      "WORKER_EXITED",
      `the worker process ${how} before it was ready`,
    );
  }

  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#stopping || this.#child !== child) return;
    if (Date.now() - this.#startedAt > HEALTHY_RESET_MS) this.#failures = 0;
    this.#log.error({ code, signal }, "worker process died; its running requests go back to the queue; restarting it");
    void this.#restart();
  }

  async #restart(): Promise<void> {
    while (!this.#stopping) {
      await sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#failures++));
      if (this.#stopping) return;
      try {
        return await this.start();
      } catch (err) {
        this.#log.error({ err }, "worker process restart failed");
      }
    }
  }
}

/**
 * glia's own settings a worker reads (`GLIA_LOG_LEVEL`, `GLIA_PYTHON`, `GLIA_CACHE_DIR`...), less
 * its API keys, and the AWS settings it fetches `s3://` models with (never passed on to handlers:
 * see runtime/handler-env.ts).
 */
const WORKER_SETTINGS = /^(GLIA_|NODE_|AWS_)/;
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
