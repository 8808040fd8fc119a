import type { Logger } from "../observability/index.ts";
import { Supervisor } from "../process/index.ts";
import { HandlerLoadError } from "./errors.ts";
import { RuntimeProcess, type RuntimeLaunch } from "./process.ts";
import type { HandlerSeries, RuntimeClient } from "./client.ts";

/** A runtime lent to one request; `release` gives it back. */
export interface RuntimeLease {
  readonly client: RuntimeClient;
  readonly replica: number;
  release(): void;
  /** Kills the runtime (a timed-out handler cannot be stopped otherwise); it is restarted. */
  kill(): void;
  /**
   * The call failed without an answer: the runtime is lent again only once it answers a health
   * check, and restarted if it does not (it may be dying, its exit not yet seen).
   */
  suspect(): void;
}

/** How long a suspect runtime has to answer its health check. */
const PROBE_TIMEOUT_MS = 2_000;

interface Slot {
  process: RuntimeProcess;
  /** Restarts a crashed process with the supervisor's default back-off (0.5 s doubling to 30 s). */
  supervisor: Supervisor;
  ready: boolean;
  busy: boolean;
}

/**
 * The runtime processes of one API (`autoscaling.min_replicas` of them), each running one request
 * at a time and kept running by a {@link Supervisor}; callers wait for a ready, idle one.
 */
export class RuntimePool {
  readonly #slots: Slot[];
  readonly #log: Logger;
  #waiters: Array<() => void> = [];
  #stopping = false;

  constructor(launch: RuntimeLaunch, replicas: number) {
    this.#log = launch.logger.child({ module: "runtime-pool", api: launch.api });
    this.#slots = Array.from({ length: replicas }, (_, i) => this.#slot(new RuntimeProcess(launch, i)));
  }

  get size(): number {
    return this.#slots.length;
  }

  get readyCount(): number {
    return this.#slots.filter((s) => s.ready).length;
  }

  pids(): Array<number | undefined> {
    return this.#slots.map((s) => s.process.pid);
  }

  /** What each ready runtime's handler recorded, by replica; a runtime that does not answer is left out. */
  async handlerMetrics(timeoutMs: number): Promise<Array<{ replica: number; series: HandlerSeries[] }>> {
    const ready = this.#slots.filter((s) => s.ready);
    const answers = await Promise.all(
      ready.map(async (s) => ({
        replica: s.process.replica,
        series: await s.process.client.metrics(timeoutMs).catch(() => null),
      })),
    );
    return answers.filter((a): a is { replica: number; series: HandlerSeries[] } => a.series !== null);
  }

  /** Starts every process; rejects (and stops the others) if any cannot load the handler. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#slots.map((slot) => slot.supervisor.start()));
    } catch (err) {
      await this.stop(1_000);
      throw err;
    }
  }

  /** Waits for a ready, idle runtime (or `signal` to abort). */
  async acquire(signal?: AbortSignal): Promise<RuntimeLease> {
    for (;;) {
      signal?.throwIfAborted();
      const slot = this.#slots.find((s) => s.ready && !s.busy);
      if (slot) return this.#lend(slot);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal?.addEventListener("abort", wake, { once: true });
      });
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#slots.map((s) => s.supervisor.stop(graceMs)));
    this.#slots.forEach((s) => (s.ready = false));
    this.#wake();
  }

  #lend(slot: Slot): RuntimeLease {
    slot.busy = true;
    let released = false;
    return {
      client: slot.process.client,
      replica: slot.process.replica,
      release: () => {
        if (released) return;
        released = true;
        slot.busy = false;
        this.#wake();
      },
      kill: () => {
        slot.ready = false; // not lent again before it has been restarted
        slot.supervisor.kill();
      },
      suspect: () => {
        slot.ready = false;
        void this.#probe(slot);
      },
    };
  }

  async #probe(slot: Slot): Promise<void> {
    const child = slot.supervisor.child;
    const healthy = await Promise.resolve()
      .then(() => slot.process.client.health(PROBE_TIMEOUT_MS))
      .then(
        () => true,
        () => false,
      );
    if (this.#stopping || slot.supervisor.child !== child) return; // stopped, or restarted meanwhile
    if (!healthy) return void slot.supervisor.kill(); // its exit restarts it
    this.#log.info({ replica: slot.process.replica }, "runtime answered its health check after a failed call");
    slot.ready = true;
    this.#wake();
  }

  #slot(process: RuntimeProcess): Slot {
    const replica = process.replica;
    const slot: Slot = {
      process,
      ready: false,
      busy: false,
      supervisor: new Supervisor({
        start: (signal) => process.start(signal),
        onReady: (child) => {
          slot.ready = true;
          this.#wake();
          void child.exited.then(() => (slot.ready = false)); // while stopping too: not lent again
        },
        onExit: ({ code, signal }, restartInMs) =>
          this.#log.warn({ replica, code, signal, restartInMs }, "runtime exited; restarting it"),
        onRestartFailed: (err, retryInMs) => {
          const level = err instanceof HandlerLoadError ? "error" : "warn";
          this.#log[level]({ err, replica, retryInMs }, "runtime restart failed");
        },
      }),
    };
    return slot;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((w) => w());
  }
}
