/**
 * @module
 * Drives one API's runtimes with its {@link Autoscaler}: samples the in-flight requests every
 * tick, decides, and resizes the pool and the worker's pull loops to match. At zero runtimes it
 * also looks at the queue every `wakePollMs`, so the first request wakes the API at once.
 */
import type { Logger } from "../observability/index.ts";
import { Autoscaler, TICK_MS, type AutoscaleReason, type AutoscaleSettings } from "./autoscale.ts";

/** What the loop resizes: the runtimes and the pull loops feeding them. */
export interface Scalable {
  resize(replicas: number): Promise<void>;
}

/** How many runtimes can run, and why no more. */
export interface Capacity {
  replicas: number;
  why: string;
}

/** The autoscaler's latest word, as `glia get` and `/metrics` show it. */
export interface ScaleState {
  /** The runtimes asked for now. */
  requested: number;
  /** What the autoscaler recommended before the stabilization periods; null before a sample. */
  recommendation: number | null;
  reason: AutoscaleReason;
  /** Why fewer runtimes run than recommended (e.g. too few GPUs), or null. */
  heldBy: string | null;
  averageInFlight: number | null;
}

export interface AutoscaleLoopOptions {
  api: string;
  settings: AutoscaleSettings;
  /** The runtimes running when the loop starts (`init_replicas`). */
  initial: number;
  /** Queued + running requests now. */
  inFlight(): Promise<number>;
  target: Scalable;
  logger: Logger;
  /**
   * The most runtimes that can run when `want` are wanted (e.g. as many as GPUs can be leased
   * for), and why; null for no limit but `max_replicas`. Asked before every resize, and at every
   * tick (where it may also give back what runtimes that have stopped held).
   */
  capacity?: (want: number) => Promise<Capacity | null> | Capacity | null;
  /** Called after every decision. */
  onState?: (state: ScaleState) => void;
  /** @default {@link TICK_MS} */
  tickMs?: number;
  /** How often an API at zero runtimes looks for a waiting request. @default 250 ms */
  wakePollMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** The autoscaler of one API, running. */
export class AutoscaleLoop {
  readonly #o: AutoscaleLoopOptions;
  readonly #scaler: Autoscaler;
  readonly #log: Logger;
  #state: ScaleState;
  #timer: NodeJS.Timeout | null = null;
  #wakeTimer: NodeJS.Timeout | null = null;
  #busy: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: AutoscaleLoopOptions) {
    this.#o = options;
    this.#scaler = new Autoscaler(options.settings, options.initial, this.#now());
    this.#log = options.logger.child({ module: "autoscaler", api: options.api });
    this.#state = {
      requested: options.initial,
      recommendation: null,
      reason: "no samples yet",
      heldBy: null,
      averageInFlight: null,
    };
  }

  get state(): ScaleState {
    return this.#state;
  }

  start(): void {
    this.#timer = setInterval(() => this.#enqueue(), this.#o.tickMs ?? TICK_MS);
    this.#armWake();
  }

  /**
   * Stops deciding. A resize under way is not waited for: a runtime still loading its handler
   * could hold a shutdown for minutes; stopping the pool ends it (see RuntimePool.resize).
   */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
  }

  /** One tick: sample, decide, resize. Ticks never overlap: a slow resize delays the next one. */
  #enqueue(): void {
    this.#busy = this.#busy
      .then(() => this.#tick())
      .catch((err: unknown) => {
        this.#log.warn({ err }, "autoscaler tick failed; the next one tries again");
      });
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#now();
    this.#scaler.sample(now, await this.#o.inFlight());
    const previous = this.#state.requested;
    const decision = this.#scaler.decide(now);
    const limit = await this.#capacity(decision.request, previous);
    if (this.#stopped) return;
    const granted = limit && decision.request > limit.replicas ? limit.replicas : decision.request;
    // The next step is limited from what runs, not from what was wanted.
    if (granted !== decision.request) this.#scaler.correct(granted);
    this.#state = {
      requested: granted,
      recommendation: decision.recommendation,
      reason: decision.reason,
      heldBy: granted < decision.request ? limit!.why : null,
      averageInFlight: decision.averageInFlight,
    };
    if (granted !== previous) {
      this.#log.info(
        { from: previous, to: granted, reason: decision.reason, averageInFlight: decision.averageInFlight },
        `autoscaling ${this.#o.api}: ${previous} → ${granted} runtime(s) (${decision.reason})`,
      );
      try {
        await this.#o.target.resize(granted);
      } catch (err) {
        // The runtimes did not change (e.g. a new one could not load its handler): decide from
        // what runs, and try again at the next tick.
        this.#scaler.correct(previous);
        this.#state = { ...this.#state, requested: previous };
        if (!this.#stopped) this.#o.onState?.(this.#state);
        throw err;
      }
    }
    if (this.#stopped) return;
    this.#o.onState?.(this.#state);
    this.#armWake();
  }

  /** The capacity for `want` runtimes; when it cannot be learned, the decision is undone (`previous` run on). */
  async #capacity(want: number, previous: number): Promise<Capacity | null> {
    try {
      return (await this.#o.capacity?.(want)) ?? null;
    } catch (err) {
      this.#scaler.correct(previous);
      throw err;
    }
  }

  /** At zero runtimes, look for a waiting request often, so the first one does not wait a tick. */
  #armWake(): void {
    if (this.#stopped || this.#state.requested > 0 || this.#wakeTimer) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = null;
      this.#busy = this.#busy
        .then(async () => {
          if (this.#stopped || this.#state.requested > 0) return;
          if ((await this.#o.inFlight()) > 0) await this.#tick();
          else this.#armWake();
        })
        .catch((err: unknown) => {
          this.#log.warn({ err }, "looking for a waiting request failed");
          this.#armWake();
        });
    }, this.#o.wakePollMs ?? 250);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
