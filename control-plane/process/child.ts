import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { ChildExitedError, ChildNotReadyError, ChildSpawnError, type ExitStatus } from "./errors.ts";

/**
 * After a child exits, how long its pipes may stay open (a process it left behind still holding
 * them) before they are closed on this side: an exited child never keeps this process alive.
 */
const CLOSE_WAIT_MS = 2_000;

/** What to start, how to tell it is ready, and how to ask it to stop. */
export interface ChildOptions {
  command: string;
  args?: readonly string[];
  /** @default this process's environment */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run it as this user and group (this process must be root). */
  uid?: number;
  gid?: number;
  /**
   * As `child_process.spawn` takes it; add `"ipc"` for a message channel. Read every pipe asked
   * for (in `onSpawn`): a pipe nobody reads holds the child up once full.
   * @default ["ignore", "inherit", "inherit"]
   */
  stdio?: StdioOptions;
  /**
   * In a process group of its own: a terminal's Ctrl-C to this process's group does not reach it,
   * and the stop request (by default) and every kill go to its whole group. @default false
   */
  detached?: boolean;
  /** Called right after the spawn, before readiness: attach readers to its output here. */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * Resolves once the child is ready, rejects if it cannot be (the child is then killed).
   * `signal` aborts when the start is over either way (the child ended, timed out, was given up):
   * stop polling then. @default ready as soon as it is spawned
   */
  ready?: (child: ChildProcess, signal: AbortSignal) => Promise<void>;
  /** How long `ready` may take before the child is killed and the start fails. @default no limit */
  readyTimeoutMs?: number;
  /**
   * Asks the child to finish and exit within `graceMs`, e.g. by a message on its IPC channel.
   * @default SIGTERM (to its process group when `detached`)
   */
  requestStop?: (child: ChildProcess, graceMs: number) => void;
  /** Time past the grace period before SIGKILL, for a child that tidies up after its grace. @default 0 */
  killSlackMs?: number;
  /** Send it SIGTERM should this process exit without having stopped it. @default false */
  stopOnParentExit?: boolean;
  /** Gives up the start: the child is killed and {@link startChild} rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A started child process: its exit awaited, stopped gracefully or killed at once. */
export class Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves once the child has exited and its output (pipes, IPC messages) has been read. */
  readonly exited: Promise<ExitStatus>;
  readonly #options: ChildOptions;
  #status: ExitStatus | null = null;

  constructor(child: ChildProcess, options: ChildOptions) {
    this.process = child;
    this.pid = child.pid!;
    this.#options = options;
    // A kill or send that fails on a dying child emits "error"; its exit is what counts.
    child.on("error", () => {});
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        const status = (this.#status = { code, signal });
        const timer = setTimeout(() => {
          child.stdio.forEach((stream) => stream?.destroy());
          resolve(status);
        }, CLOSE_WAIT_MS);
        child.once("close", () => {
          clearTimeout(timer);
          resolve(status);
        });
      });
    });
  }

  /** Whether it has not exited yet. */
  get running(): boolean {
    return this.#status === null;
  }

  /**
   * Asks the child to stop (see {@link ChildOptions.requestStop}) and kills it if it has not
   * exited `graceMs` later; resolves once it has exited. Nothing is sent to a child already gone.
   */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (!this.running) return this.exited;
    try {
      if (this.#options.requestStop) this.#options.requestStop(this.process, graceMs);
      else this.kill("SIGTERM");
    } catch {
      this.kill();
    }
    const timer = setTimeout(() => this.kill(), graceMs + (this.#options.killSlackMs ?? 0));
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` now (to its process group when detached); nothing once it has exited. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.running) return;
    try {
      if (this.#options.detached) process.kill(-this.pid, signal);
      else this.process.kill(signal);
    } catch {
      // it exited meanwhile
    }
  }
}

/**
 * Spawns a child and resolves once it is ready. Rejects with {@link ChildSpawnError} when it
 * cannot be started, {@link ChildExitedError} when it exits first (the caller turns the status
 * into its own error), {@link ChildNotReadyError} after `readyTimeoutMs`, whatever `ready`
 * rejects with, or the abort reason; the child is then killed and gone.
 *
 * @example
 * const child = await startChild({ command: "nats-server", args, ready: (c, signal) => listening(c, signal) });
 * await child.stop(10_000); // SIGTERM, SIGKILL ten seconds later if it is still there
 */
export async function startChild(options: ChildOptions): Promise<Child> {
  options.signal?.throwIfAborted();
  const child = new Child(await spawnChild(options), options);
  if (options.stopOnParentExit) stopWithParent(child);
  options.onSpawn?.(child.process);
  const done = new AbortController();
  try {
    await Promise.race([
      handled(options.ready ? options.ready(child.process, done.signal) : Promise.resolve()),
      handled(child.exited.then((status) => Promise.reject(new ChildExitedError(options.command, status)))),
      ...(options.readyTimeoutMs === undefined ? [] : [handled(timeout(options, done.signal))]),
      ...(options.signal ? [handled(aborted(options.signal, done.signal))] : []),
    ]);
  } catch (err) {
    child.kill();
    await child.exited;
    throw err;
  } finally {
    done.abort();
  }
  return child;
}

async function spawnChild(options: ChildOptions): Promise<ChildProcess> {
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args ?? [], {
      env: options.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdio: options.stdio ?? ["ignore", "inherit", "inherit"],
      detached: options.detached ?? false,
    });
  } catch (err) {
    throw new ChildSpawnError(options.command, err);
  }
  if (child.pid === undefined) {
    const [err] = (await once(child, "error")) as [Error];
    throw new ChildSpawnError(options.command, err);
  }
  return child;
}

/** A promise raced against others: its later rejection, after the race is decided, is not unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

async function timeout(options: ChildOptions, done: AbortSignal): Promise<never> {
  await sleep(options.readyTimeoutMs, undefined, { signal: done });
  throw new ChildNotReadyError(options.command, options.readyTimeoutMs!);
}

async function aborted(signal: AbortSignal, done: AbortSignal): Promise<never> {
  if (!signal.aborted) await once(signal, "abort", { signal: done });
  throw signal.reason;
}

/** Children to signal if this process exits while they run (one listener for them all). */
const orphans = new Set<Child>();

function stopWithParent(child: Child): void {
  if (orphans.size === 0) process.once("exit", stopOrphans);
  orphans.add(child);
  void child.exited.then(() => {
    orphans.delete(child);
    if (orphans.size === 0) process.off("exit", stopOrphans);
  });
}

function stopOrphans(): void {
  for (const child of orphans) child.kill("SIGTERM");
}
