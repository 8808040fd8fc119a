import type { ChildProcess } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.ts";
import {
  ChildExitedError,
  ChildNotReadyError,
  ChildSpawnError,
  describeExit,
  startChild,
  type Child,
  type ChildOptions,
} from "../process/index.ts";
import { RuntimeClient } from "./client.ts";
import { HandlerLoadError, RuntimeUnavailableError } from "./errors.ts";
import { runtimeSpec, runtimeSpecJson, type RuntimeSpec } from "./spec.ts";
import { threadEnvironment } from "./threads.ts";
import { inheritedEnvironment } from "./handler-env.ts";
import { chownTree, runAsOptions, type RunAs } from "./run-as.ts";

/** Key of the runtime's marker lines around each request (see python-runtime's server.py). */
const OUTPUT_MARKER = "glia_output";

/** Exit status the runtime uses when the handler could not be loaded (see python-runtime). */
export const EXIT_HANDLER_LOAD_FAILED = 3;

/** Everything needed to start one runtime process for an API. */
export interface RuntimeLaunch {
  api: string;
  /** The Python interpreter of the API's environment. */
  python: string;
  /** Folder holding the `glia_runtime` package. */
  runtimeRoot: string;
  /** The project folder, the handler's working directory. */
  projectDir: string;
  handler: {
    /** `python`, or `tensorflow` (the runtime then loads `models` and passes `tensorflow_client`). */
    type: "python" | "tensorflow";
    path: string;
    config: Record<string, unknown>;
    pythonPath: string | null;
    logLevel: string;
    /** `handler.models` as written in `cortex.yaml` (tensorflow type only); the runtime checks it. */
    models: unknown;
  };
  /** Variables added to the runtime's environment (`handler.env`, then `.env`). */
  env: Record<string, string>;
  logger: Logger;
  /** Receives every line the runtime writes, tagged, e.g. to publish it for `glia logs`. */
  onLine?: (line: { replica: number; stream: "stdout" | "stderr"; requestId?: string; line: unknown }) => void;
  /** How long `__init__` may take before start-up is given up. @default 10 minutes */
  startupTimeoutMs?: number;
  maxMessageBytes?: number;
  /**
   * The CUDA devices of each replica (`CUDA_VISIBLE_DEVICES`; an empty list hides every GPU).
   * @default the worker's own environment, e.g. what Kubernetes gave its pod
   */
  devices?: string[][];
  /**
   * Threads for the maths libraries of each runtime (`OMP_NUM_THREADS` and the like, see
   * threads.ts); a variable already set in `env` or the worker's environment is left as it is.
   * @default the libraries' own default, one per core
   */
  threads?: number;
  /** Run the process as this user (glia running as root with `--run-as`). @default glia's own user */
  runAs?: RunAs;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 10 * 60_000;

/**
 * One Python runtime process: started and watched until SERVING. The {@link Child} that start
 * returns stops or kills it; restarting it is its owner's (see pool.ts).
 */
export class RuntimeProcess {
  readonly replica: number;
  readonly #launch: RuntimeLaunch;
  readonly #devices: readonly string[] | undefined;
  readonly #log: Logger;
  #child: Child | null = null;
  #pid: number | undefined;
  #client: RuntimeClient | null = null;
  #dir: string | null = null;
  #stderrTail: string[] = [];
  #loadError: string | null = null;

  /** `devices`: its CUDA devices, in place of `launch.devices[replica]` (a runtime added by a resize). */
  constructor(launch: RuntimeLaunch, replica: number, devices?: readonly string[]) {
    this.#launch = launch;
    this.replica = replica;
    this.#devices = devices ?? launch.devices?.[replica];
    this.#log = launch.logger.child({ module: "runtime", api: launch.api, replica });
  }

  get client(): RuntimeClient {
    if (!this.#client) throw new RuntimeUnavailableError(`runtime ${this.#launch.api}#${this.replica} is not running`);
    return this.#client;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  /**
   * Spawns the process and resolves once it reports SERVING; rejects with a HandlerLoadError or a
   * RuntimeUnavailableError, the process gone. `signal` gives the start up. Its folder (socket,
   * spec) is removed once it has exited.
   */
  async start(signal?: AbortSignal): Promise<Child> {
    this.#cleanup();
    this.#loadError = null;
    this.#stderrTail = [];
    this.#dir = await mkdtemp(join(tmpdir(), `glia-${this.#launch.api}-`));
    const socket = join(this.#dir, "runtime.sock");
    const specFile = join(this.#dir, "spec.json");
    await writeFile(specFile, runtimeSpecJson(this.#spec()), { mode: 0o600 });
    if (this.#launch.runAs) await chownTree(this.#dir, this.#launch.runAs); // its socket and spec
    const child = await startChild(this.#options(socket, specFile, signal)).catch((err: unknown) => {
      this.#cleanup();
      throw this.#startError(err);
    });
    this.#child = child;
    void child.exited.then(() => this.#child === child && this.#cleanup());
    this.#log.info({ runtimePid: child.pid, threads: this.#launch.threads }, "runtime serving");
    return child;
  }

  /** What the runtime starts with (see spec.ts): written to `spec.json` for its `--spec`. */
  #spec(): RuntimeSpec {
    return runtimeSpec(this.#launch);
  }

  #devicesEnv(): Record<string, string> {
    const devices = this.#devices;
    return devices ? { CUDA_VISIBLE_DEVICES: devices.join(",") } : {};
  }

  /** SIGTERM asks it to finish its current request and exit; stop's grace period then SIGKILL. */
  #options(socket: string, specFile: string, signal: AbortSignal | undefined): ChildOptions {
    const { python, runtimeRoot, projectDir, env } = this.#launch;
    const as = runAsOptions(this.#launch.runAs);
    return {
      command: python,
      args: ["-m", "glia_runtime", "--socket", socket, "--project", projectDir, "--spec", specFile],
      cwd: projectDir,
      uid: as.uid,
      gid: as.gid,
      // Only ordinary variables of glia's own environment, never its secrets (see handler-env.ts).
      env: {
        ...inheritedEnvironment(process.env),
        ...env,
        ...(this.#launch.threads ? threadEnvironment(this.#launch.threads, process.env, env) : {}),
        ...this.#devicesEnv(),
        ...as.env,
        PYTHONPATH: runtimeRoot,
        PYTHONUNBUFFERED: "1",
        GLIA_API: this.#launch.api,
        GLIA_PARENT_WATCH: "stdin",
      },
      // The runtime stops when its stdin closes, i.e. when this process is gone, even by SIGKILL.
      stdio: ["pipe", "pipe", "pipe"],
      onSpawn: (child) => this.#pipe(child),
      ready: (_, done) => this.#waitServing(socket, done),
      readyTimeoutMs: this.#launch.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
      signal,
    };
  }

  #pipe(child: ChildProcess): void {
    this.#pid = child.pid;
    createInterface({ input: child.stdout! }).on("line", (line) => this.#forward("stdout", line));
    createInterface({ input: child.stderr! }).on("line", (line) => {
      this.#stderrTail = [...this.#stderrTail.slice(-49), line];
      this.#forward("stderr", line);
    });
  }

  /** The request each output stream is inside, from the runtime's markers (stream order, no race). */
  readonly #current: Record<"stdout" | "stderr", string | undefined> = { stdout: undefined, stderr: undefined };

  #forward(stream: "stdout" | "stderr", line: string): void {
    const parsed = parseJsonLine(line);
    const marker = parsed?.[OUTPUT_MARKER];
    if (marker === "start" || marker === "end") {
      this.#current[stream] = marker === "start" ? String(parsed!["request_id"]) : undefined;
      return;
    }
    if (parsed && stream === "stderr" && parsed["level"] === "error" && parsed["error"]) {
      this.#loadError = String(parsed["message"] ?? line);
    }
    const level = levelOf(parsed) ?? (stream === "stderr" ? "warn" : "info");
    const message = String(parsed?.["message"] ?? line);
    const requestId = this.#current[stream];
    this.#launch.onLine?.({ replica: this.replica, stream, requestId, line: parsed ?? line });
    this.#log[level]({ stream, runtimePid: this.#pid, requestId, ...(parsed ? { line: parsed } : {}) }, message);
  }

  /** Until the socket is there and the runtime answers SERVING (`done`: the start is over). */
  async #waitServing(socket: string, done: AbortSignal): Promise<void> {
    while (!(await exists(socket))) await sleep(25, undefined, { signal: done });
    this.#client?.close();
    this.#client = new RuntimeClient(socket, this.#launch.maxMessageBytes);
    for (;;) {
      const health = await this.#client.health(2_000).catch(() => null);
      if (health?.status === "SERVING") return;
      await sleep(25, undefined, { signal: done });
    }
  }

  /** Why the start failed, as the runtime's own error: exit status 3 is a handler that did not load. */
  #startError(err: unknown): unknown {
    const api = this.#launch.api;
    if (err instanceof ChildExitedError) {
      if (err.status.code === EXIT_HANDLER_LOAD_FAILED)
        return new HandlerLoadError(api, this.#loadError ?? this.#stderrTail.join("\n"));
      const tail = this.#stderrTail.slice(-20).join("\n");
      return new RuntimeUnavailableError(
        `the runtime of ${api} ${describeExit(err.status)} before it was ready:\n${tail}`,
      );
    }
    if (err instanceof ChildNotReadyError)
      return new RuntimeUnavailableError(
        `the runtime of ${api} was not ready after ${err.timeoutMs / 1000} s (Handler.__init__ still running?)`,
      );
    if (err instanceof ChildSpawnError)
      return new RuntimeUnavailableError(`the runtime of ${api} could not be started: ${err.message}`, { cause: err });
    return err;
  }

  #cleanup(): void {
    this.#client?.close();
    this.#client = null;
    if (this.#dir) void rm(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }
}

type Level = "debug" | "info" | "warn" | "error";

function levelOf(parsed: Record<string, unknown> | null): Level | null {
  const raw = String(parsed?.["level"] ?? parsed?.["levelname"] ?? "").toLowerCase();
  if (raw === "debug" || raw === "info" || raw === "error") return raw;
  if (raw === "warning" || raw === "warn") return "warn";
  if (raw === "critical") return "error";
  return null;
}

function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
