import { setTimeout as sleep } from "node:timers/promises";
import type { Child } from "./child.ts";
import type { ExitStatus } from "./errors.ts";

/** Restart back-off: `firstMs` doubling up to `maxMs`, back to `firstMs` after `healthyResetMs` up. */
export interface Backoff {
  /** @default 500 */
  firstMs: number;
  /** @default 30_000 */
  maxMs: number;
  /** How long a child must have run for its exit to count as a first failure again. @default 60_000 */
  healthyResetMs: number;
}

/** 0.5 s doubling to 30 s; reset after a minute up. */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({
  firstMs: 500,
  maxMs: 30_000,
  healthyResetMs: 60_000,
});

export interface SupervisorOptions {
  /**
   * Starts one child and resolves once it is ready, e.g. with {@link startChild}; called for the
   * first start and again for each restart. Pass `signal` on: it aborts when {@link Supervisor.stop} is called.
   */
  start: (signal: AbortSignal) => Promise<Child>;
  /** @default {@link DEFAULT_BACKOFF} */
  backoff?: Partial<Backoff>;
  /** A child is ready: the first and every restarted one. */
  onReady?: (child: Child) => void;
  /** A ready child ended without {@link Supervisor.stop}; it is started again in `restartInMs`. */
  onExit?: (status: ExitStatus, restartInMs: number) => void;
  /** Starting it again failed; the next try is in `retryInMs`. */
  onRestartFailed?: (err: unknown, retryInMs: number) => void;
}

/**
 * Keeps one child process running: started by {@link start}, started again with back-off when it
 * exits on its own (a crash, a kill), stopped gracefully by {@link stop}. A failed first start is
 * the caller's to handle; only a child that was ready once is restarted.
 *
 * @example
 * const worker = new Supervisor({ start: (signal) => startChild({ ...spawn, signal }), onExit: (s, ms) => log(s, ms) });
 * await worker.start();
 * await worker.stop(30_000);
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #backoff: Backoff;
  readonly #stopping = new AbortController();
  #child: Child | null = null;
  #readyAt = 0;
  #failures = 0;
  /** The start or restart loop under way, which {@link stop} waits out. */
  #pending: Promise<unknown> = Promise.resolve();

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  /** The current child (the last one started; it may have exited and be awaiting its restart). */
  get child(): Child | null {
    return this.#child;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the first child; rejects, restarting nothing, if it cannot become ready. */
  async start(): Promise<Child> {
    const starting = this.#startOne();
    this.#pending = starting.catch(() => {});
    const child = await starting;
    if (!child) throw this.#stopping.signal.reason;
    return child;
  }

  /** Stops restarting, gives up a start under way, and stops the child; resolves once it has exited. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping.abort(new Error("the supervisor was stopped"));
    await this.#pending;
    await this.#child?.stop(graceMs);
  }

  /** Kills the child at once (SIGKILL); it is restarted like after a crash. */
  kill(): void {
    this.#child?.kill();
  }

  /** One start; a child that is ready after {@link stop} was called is killed, not kept. */
  async #startOne(): Promise<Child | null> {
    const signal = this.#stopping.signal;
    const child = await this.#o.start(signal);
    if (signal.aborted) {
      child.kill();
      await child.exited;
      return null;
    }
    this.#child = child;
    this.#readyAt = Date.now();
    this.#o.onReady?.(child);
    void child.exited.then((status) => this.#exited(child, status));
    return child;
  }

  #exited(child: Child, status: ExitStatus): void {
    if (this.#stopping.signal.aborted || this.#child !== child) return;
    if (Date.now() - this.#readyAt >= this.#backoff.healthyResetMs) this.#failures = 0;
    const delay = this.#nextDelay();
    this.#o.onExit?.(status, delay);
    this.#pending = this.#restart(delay);
  }

  async #restart(delay: number): Promise<void> {
    const signal = this.#stopping.signal;
    for (;;) {
      const waited = await sleep(delay, true, { signal }).catch(() => false);
      if (!waited) return;
      try {
        await this.#startOne();
        return;
      } catch (err) {
        if (signal.aborted) return;
        delay = this.#nextDelay();
        this.#o.onRestartFailed?.(err, delay);
      }
    }
  }

  #nextDelay(): number {
    const { firstMs, maxMs } = this.#backoff;
    return Math.min(maxMs, firstMs * 2 ** this.#failures++);
  }
}
