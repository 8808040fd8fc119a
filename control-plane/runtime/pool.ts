import { GliaError } from "../errors.ts";
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

/**
 * How many runtimes a pool has in each state, for an autoscaler and `glia get`. Each runtime is
 * in exactly one state, so `starting + ready + busy` is the pool's size, which is `requested`
 * unless a runtime added by {@link RuntimePool.resize} could not start (it is left out).
 */
export interface RuntimePoolCounts {
  /** The constructor's `replicas`, then the last {@link RuntimePool.resize} target; 0 once stopping. */
  requested: number;
  /** In the pool, not serving yet: not started, starting, restarting after a crash, or being health-checked. */
  starting: number;
  /** Serving and idle: lent to the next request. */
  ready: number;
  /** Lent to a request. */
  busy: number;
  /** Taken out of the pool, its process not exited yet: a lent one until its lease is released, or one stopping. */
  draining: number;
}

/** A resize that cannot be carried out as asked (a bad target or devices list); nothing was changed. */
export class RuntimePoolResizeError extends GliaError {
  constructor(api: string, problem: string) {
    super("RUNTIME_POOL_RESIZE_INVALID", `API ${api}: cannot resize its runtime pool: ${problem}`);
  }
}

/** The pool was stopped: it starts no runtime again. */
export class RuntimePoolStoppedError extends GliaError {
  constructor(api: string) {
    super("RUNTIME_POOL_STOPPED", `API ${api}: its runtime pool was stopped; it cannot be resized`);
  }
}

/** How long a suspect runtime has to answer its health check. */
const PROBE_TIMEOUT_MS = 2_000;

/** How long a runtime taken out by a resize (idle by then) has after SIGTERM before SIGKILL. */
const RETIRE_GRACE_MS = 5_000;

interface Slot {
  process: RuntimeProcess;
  /** Restarts a crashed process with the supervisor's default back-off (0.5 s doubling to 30 s). */
  supervisor: Supervisor;
  ready: boolean;
  busy: boolean;
  /** Its first start, once begun; settles once it is serving, failed, or was given up. */
  started: Promise<void> | null;
  /** Taken out by a resize: never lent again, stopped once its lease (if any) is released. */
  removed: boolean;
  /** Its stop once taken out; the process is gone when it settles. */
  retired: Promise<void> | null;
}

/**
 * The runtime processes of one API, each running one request at a time and kept running by a
 * {@link Supervisor}; callers wait for a ready, idle one. It starts with `replicas` runtimes
 * (`autoscaling.min_replicas`); {@link resize} changes their number while it serves.
 */
export class RuntimePool {
  readonly #launch: RuntimeLaunch;
  readonly #log: Logger;
  /** The runtimes in the pool (not those taken out), oldest first. */
  #slots: Slot[];
  /** Runtimes taken out (by a resize, or the stop) whose process has not exited yet. */
  readonly #leaving = new Set<Slot>();
  #target: number;
  #started = false;
  #waiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  #stopping = false;

  constructor(launch: RuntimeLaunch, replicas: number) {
    this.#launch = launch;
    this.#log = launch.logger.child({ module: "runtime-pool", api: launch.api });
    this.#slots = Array.from({ length: replicas }, (_, i) => this.#slot(new RuntimeProcess(launch, i)));
    this.#target = replicas;
  }

  /** The runtimes in the pool: starting, ready or busy (draining ones are not counted). */
  get size(): number {
    return this.#slots.length;
  }

  get readyCount(): number {
    return this.#slots.filter((s) => s.ready).length;
  }

  pids(): Array<number | undefined> {
    return this.#slots.map((s) => s.process.pid);
  }

  /**
   * The replica index of every runtime that has not exited: starting, serving or draining. Its
   * devices (`launch.devices[index]`) are in use until it is gone from this list.
   */
  replicas(): number[] {
    return [...this.#slots, ...this.#leaving].map((s) => s.process.replica);
  }

  /** How many runtimes are requested, and in each state. */
  counts(): RuntimePoolCounts {
    const members = this.#stopping ? [] : this.#slots;
    const busy = members.filter((s) => s.busy).length;
    const ready = members.filter((s) => s.ready && !s.busy).length;
    const starting = members.length - busy - ready;
    return { requested: this.#target, starting, ready, busy, draining: this.#leaving.size };
  }

  /** What each ready runtime's handler recorded, by replica; a runtime that does not answer is left out. */
  async handlerMetrics(timeoutMs: number): Promise<Array<{ replica: number; series: HandlerSeries[] }>> {
    const ready = [...new Set([...this.#slots, ...this.#leaving])].filter((s) => s.ready);
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
    this.#started = true;
    try {
      await Promise.all(this.#slots.map((slot) => this.#begin(slot)));
    } catch (err) {
      await this.stop(1_000);
      throw err;
    }
  }

  /**
   * Changes the number of runtimes to `target` (0 allowed: {@link acquire} then waits until the
   * pool grows again) while it serves. Concurrent calls settle on the last target: each call
   * starts or takes out runtimes at once, from the pool as the calls before it left it.
   *
   * Growing starts `target - size` runtimes, each lent once it is SERVING, with replica indices
   * that no runtime still running has (the lowest free ones). `devices` gives their CUDA devices,
   * one list per added runtime; absent, replica `i` gets `launch.devices[i]`, and a launch with
   * devices must list one for every new index. A runtime that cannot start (its handler's
   * `__init__` raised, it timed out) is logged at error level and left out of the pool, the others
   * serving on; the call then rejects with its error once every added runtime has settled.
   *
   * Shrinking takes out `size - target` runtimes, those not serving first, then idle ones, then
   * busy ones, newest first in each: a starting or idle runtime is stopped; a busy one is drained:
   * never lent again and stopped once its lease is released, not restarted if it crashes meanwhile.
   *
   * Resolves once the added runtimes are serving (or were given up by a later resize or the stop)
   * and the idle or starting ones taken out have exited; it does not wait for draining ones
   * ({@link drained} does). Before {@link start}, it
   * only sets how many runtimes `start` starts. A {@link stop} during a resize stops everything
   * and the resize resolves.
   *
   * @throws RuntimePoolResizeError `target` is not a whole number ≥ 0, or `devices` does not
   *   list one entry per added runtime; nothing is changed.
   * @throws RuntimePoolStoppedError the pool is stopping or stopped.
   * @example
   * await pool.resize(3); // two more runtimes, if it had one
   * await pool.resize(4, [["2"]]); // one more, on GPU 2
   * await pool.resize(0); // scale to zero; lent runtimes finish their requests first
   */
  async resize(target: number, devices?: readonly (readonly string[])[]): Promise<void> {
    const adding = this.#planGrow(target, devices);
    this.#log.info({ from: this.#slots.length, to: target, draining: this.#leaving.size }, "resizing the runtime pool");
    this.#target = target;
    const stops = this.#shrink(this.#slots.length - target);
    const added = adding.map(({ replica, devices }) => this.#slot(new RuntimeProcess(this.#launch, replica, devices)));
    this.#slots.push(...added);
    const starts = this.#started ? added.map((slot) => this.#grow(slot)) : [];
    const failed = (await Promise.allSettled([...stops, ...starts])).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Resolves once no runtime is draining: every runtime taken out of the pool has exited. */
  drained(): Promise<void> {
    if (this.#leaving.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
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

  /** Stops every runtime, draining ones included (each has `graceMs` to finish its request). */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#target = 0;
    const all = [...new Set([...this.#slots, ...this.#leaving])];
    all.forEach((s) => this.#leaving.add(s));
    await Promise.all(all.map((s) => s.supervisor.stop(graceMs).then(() => this.#left(s))));
    all.forEach((s) => (s.ready = false));
    this.#wake();
  }

  /** Checks a resize and picks the replica index and devices of each runtime it adds. */
  #planGrow(
    target: number,
    devices: readonly (readonly string[])[] | undefined,
  ): Array<{ replica: number; devices: readonly string[] | undefined }> {
    const api = this.#launch.api;
    if (this.#stopping) throw new RuntimePoolStoppedError(api);
    if (!Number.isSafeInteger(target) || target < 0)
      throw new RuntimePoolResizeError(api, `the target must be a whole number of runtimes, 0 or more; got ${target}`);
    const count = Math.max(0, target - this.#slots.length);
    if (devices && devices.length !== count)
      throw new RuntimePoolResizeError(
        api,
        `devices lists ${devices.length} runtimes but ${count} are added (from ${this.#slots.length} to ${target}); give one list per added runtime`,
      );
    return this.#freeReplicas(count).map((replica, i) => {
      const own = devices?.[i] ?? this.#launch.devices?.[replica];
      if (this.#launch.devices && !own)
        throw new RuntimePoolResizeError(
          api,
          `runtime ${replica} has no CUDA devices (the launch lists devices for ${this.#launch.devices.length} runtimes); pass the devices of each added runtime`,
        );
      return { replica, devices: own };
    });
  }

  /** The `count` lowest replica indices that no runtime still running has. */
  #freeReplicas(count: number): number[] {
    const used = new Set([...this.#slots, ...this.#leaving].map((s) => s.process.replica));
    const free: number[] = [];
    for (let i = 0; free.length < count; i++) if (!used.has(i)) free.push(i);
    return free;
  }

  /** Takes `count` runtimes out: those not serving, then idle, then busy ones, newest first in each. */
  #shrink(count: number): Array<Promise<void>> {
    if (count <= 0) return [];
    const rank = (s: Slot): number => (s.busy ? 2 : s.ready ? 1 : 0);
    const order = this.#slots.map((slot, i) => ({ slot, i })).sort((a, b) => rank(a.slot) - rank(b.slot) || b.i - a.i);
    return order.slice(0, count).map(({ slot }) => this.#remove(slot));
  }

  /** Takes a runtime out: stopped now if idle, once its lease is released if busy. */
  #remove(slot: Slot): Promise<void> {
    this.#slots = this.#slots.filter((s) => s !== slot);
    slot.removed = true;
    this.#leaving.add(slot);
    if (!slot.busy) return this.#retire(slot);
    this.#log.info({ replica: slot.process.replica }, "runtime draining: it stops once its request is done");
    return Promise.resolve();
  }

  /** Stops a runtime taken out (once, however often asked); it is not restarted. */
  #retire(slot: Slot): Promise<void> {
    slot.ready = false;
    slot.retired ??= slot.supervisor.stop(RETIRE_GRACE_MS).then(() => {
      this.#log.info({ replica: slot.process.replica }, "runtime taken out of the pool has exited");
      this.#left(slot);
    });
    return slot.retired;
  }

  #left(slot: Slot): void {
    if (!this.#leaving.delete(slot) || this.#leaving.size > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Starts a slot's first process, once; a slot taken out or a pool stopped meanwhile is no failure. */
  #begin(slot: Slot): Promise<void> {
    slot.started ??= slot.supervisor.start().then(
      () => {},
      (err: unknown) => {
        if (!slot.removed && !this.#stopping) throw err;
      },
    );
    return slot.started;
  }

  /** Starts a runtime added by a resize; one that cannot start is left out, the others serve on. */
  async #grow(slot: Slot): Promise<void> {
    try {
      await this.#begin(slot);
    } catch (err) {
      this.#slots = this.#slots.filter((s) => s !== slot);
      this.#log.error(
        { err, replica: slot.process.replica },
        "runtime added to the pool could not start; the pool runs without it",
      );
      throw err;
    }
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
        if (slot.removed) void this.#retire(slot);
        else this.#wake();
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
      started: null,
      removed: false,
      retired: null,
      supervisor: new Supervisor({
        start: (signal) => process.start(signal),
        onReady: (child) => {
          slot.ready = true;
          this.#wake();
          void child.exited.then(() => (slot.ready = false)); // while stopping too: not lent again
        },
        onExit: ({ code, signal }, restartInMs) => {
          if (!slot.removed)
            return this.#log.warn({ replica, code, signal, restartInMs }, "runtime exited; restarting it");
          this.#log.warn({ replica, code, signal }, "draining runtime exited; it is not restarted");
          void this.#retire(slot); // stops the supervisor before its restart's back-off is over
        },
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
