/**
 * @module
 * A worker's leases, running: before each resize the autoscaler learns how many runtimes it may
 * have (asking the platform for the leases it lacks), and after one the leases no runtime uses go
 * back. See lease-table.ts for which lease a runtime uses.
 */
import type { RuntimePool } from "../runtime/index.ts";
import type { LeaseChannel } from "./lease-protocol.ts";
import type { LeaseTable, PoolState } from "./lease-table.ts";

/** The pool as leasing reads it. */
export type LeasedPool = Pick<RuntimePool, "counts" | "replicas">;

export class RuntimeLeases {
  readonly #table: LeaseTable;
  readonly #channel: LeaseChannel;
  readonly #pool: LeasedPool;

  constructor(table: LeaseTable, channel: LeaseChannel, pool: LeasedPool) {
    this.#table = table;
    this.#channel = channel;
    this.#pool = pool;
  }

  /**
   * The most runtimes the pool may have when `want` are wanted, and why when fewer: leases not
   * needed go back, missing ones are asked for (the platform answers at once).
   */
  async capacity(want: number): Promise<{ replicas: number; why: string }> {
    const pool = this.#observe();
    const { release, need } = this.#table.plan(want, pool);
    this.#channel.release(release);
    const answer = need > 0 ? await this.#channel.lease(need) : { granted: [], held: null };
    const replicas = this.#table.take(answer.granted, pool);
    return { replicas, why: answer.held ?? "runtimes taken out are still stopping and hold their share" };
  }

  /** After a resize from `from` runtimes to `to`: what no runtime uses any more goes back. */
  resized(from: number, to: number): void {
    this.#table.resized(from, to);
    const pool = this.#observe();
    this.#channel.release(this.#table.plan(to, pool).release);
    this.#table.take([], pool);
  }

  /** A resize failed: which runtimes run is read again before a lease goes back. */
  lost(): void {
    this.#table.lost();
  }

  #observe(): PoolState {
    const pool = state(this.#pool);
    if (this.#table.wantsLiveReplicas(pool)) this.#table.observe(pool, this.#pool.replicas());
    return pool;
  }
}

function state(pool: LeasedPool): PoolState {
  const c = pool.counts();
  return { size: c.starting + c.ready + c.busy, draining: c.draining };
}
