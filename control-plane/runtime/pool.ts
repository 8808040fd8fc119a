import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.ts";
import { HandlerLoadError } from "./errors.ts";
import { RuntimeProcess, type RuntimeLaunch } from "./process.ts";
import type { HandlerSeries, RuntimeClient } from "./client.ts";

/** Restart back-off after a crash: 0.5 s doubling to 30 s; reset after a minute of health. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_RESET_MS = 60_000;

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
  ready: boolean;
  busy: boolean;
  failures: number;
  startedAt: number;
}

/**
 * The runtime processes of one API (`autoscaling.min_replicas` of them), each running one request
 * at a time. Crashed processes are restarted with back-off; callers wait for a ready, idle one.
 */
export class RuntimePool {
  readonly #slots: Slot[];
  readonly #log: Logger;
  #waiters: Array<() => void> = [];
  #stopping = false;

  constructor(launch: RuntimeLaunch, replicas: number) {
    this.#slots = Array.from({ length: replicas }, (_, i) => ({
      process: new RuntimeProcess(launch, i),
      ready: false,
      busy: false,
      failures: 0,
      startedAt: 0,
    }));
    this.#log = launch.logger.child({ module: "runtime-pool", api: launch.api });
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
      await Promise.all(this.#slots.map((slot) => this.#startSlot(slot)));
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
    await Promise.all(this.#slots.map((s) => s.process.stop(graceMs)));
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
        slot.process.kill();
      },
      suspect: () => {
        slot.ready = false;
        void this.#probe(slot);
      },
    };
  }

  async #probe(slot: Slot): Promise<void> {
    const pid = slot.process.pid;
    const healthy = await Promise.resolve()
      .then(() => slot.process.client.health(PROBE_TIMEOUT_MS))
      .then(
        () => true,
        () => false,
      );
    if (this.#stopping || slot.process.pid !== pid) return; // stopped, or restarted meanwhile
    if (!healthy) return void slot.process.kill(); // its exit restarts it
    this.#log.info({ replica: slot.process.replica }, "runtime answered its health check after a failed call");
    slot.ready = true;
    this.#wake();
  }

  async #startSlot(slot: Slot): Promise<void> {
    await slot.process.start((code, signal) => this.#onExit(slot, code, signal));
    slot.ready = true;
    slot.startedAt = Date.now();
    this.#wake();
  }

  #onExit(slot: Slot, code: number | null, signal: string | null): void {
    slot.ready = false;
    if (this.#stopping) return;
    if (Date.now() - slot.startedAt > HEALTHY_RESET_MS) slot.failures = 0;
    this.#log.warn({ replica: slot.process.replica, code, signal }, "runtime exited; restarting it");
    void this.#restart(slot);
  }

  async #restart(slot: Slot): Promise<void> {
    while (!this.#stopping) {
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** slot.failures);
      slot.failures++;
      await sleep(delay);
      if (this.#stopping) return;
      try {
        await this.#startSlot(slot);
        return;
      } catch (err) {
        const level = err instanceof HandlerLoadError ? "error" : "warn";
        this.#log[level]({ err, replica: slot.process.replica, retryInMs: delay * 2 }, "runtime restart failed");
      }
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((w) => w());
  }
}
