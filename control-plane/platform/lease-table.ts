/**
 * @module
 * A worker's side of its leases (see capacity.ts): which it holds, which runtime runs on which,
 * how many more to ask for before a resize, and which can go back. No I/O: the worker asks the
 * platform and probes its pool (runtime-leases.ts).
 *
 * The runtime pool starts an added runtime on the lowest replica index no running runtime has, on
 * `launch.devices[index]`; the table is that array. With devices of their own (`exclusive`), entry
 * `i` is the lease of replica `i`, so a new runtime always lands on devices no running runtime of
 * the API uses, and an entry goes back only once its replica is known not to run: when none runs,
 * or when the worker has read the replicas that do (see {@link LeaseTable.observe}). Without
 * (CPU only, no GPU on the machine, or every GPU shared), leases are alike and go back by count.
 */
import type { Lease } from "./capacity.ts";

/** The pool as a lease decision needs it. */
export interface PoolState {
  /** Runtimes in the pool: starting, ready or busy. */
  size: number;
  /** Runtimes taken out that have not exited yet: they still hold their lease. */
  draining: number;
}

/** Before a resize: leases to give back now, and how many more to ask for. */
export interface LeasePlan {
  release: string[];
  need: number;
}

export class LeaseTable {
  /** The devices of each replica index, as the runtime launch reads them (one array, changed in place). */
  readonly devices: string[][] = [];
  readonly #exclusive: boolean;
  /** Exclusive: the lease of each replica index; undefined where none is held. */
  readonly #slots: Array<Lease | undefined> = [];
  /** Not exclusive: the leases held, alike. */
  readonly #bag: Lease[] = [];
  /** Exclusive: the replica indices that run (in the pool or draining), or null when not known. */
  #live: Set<number> | null;
  /** What the last {@link plan} needs filled, in the order leases are placed. */
  #pending: { indices: number[]; safe: (placed: number) => number } | null = null;

  /** `initial`: the leases of the runtimes the pool starts with, replica 0 first. */
  constructor(initial: readonly Lease[], exclusive: boolean) {
    this.#exclusive = exclusive;
    if (!exclusive) this.#bag.push(...initial);
    initial.forEach((lease, i) => (this.devices[i] = lease.devices));
    if (exclusive) initial.forEach((lease, i) => (this.#slots[i] = lease));
    this.#live = new Set(initial.map((_, i) => i));
  }

  /** How many leases are held. */
  get held(): number {
    return this.#exclusive ? this.#slots.filter(Boolean).length : this.#bag.length;
  }

  /** Whether reading the running replicas' indices could let a lease go back. */
  wantsLiveReplicas(pool: PoolState): boolean {
    return this.#exclusive && this.#live === null && this.held > pool.size + pool.draining;
  }

  /** What runs: every runtime's replica index when known (null: not known); none runs when the pool is empty. */
  observe(pool: PoolState, replicas: readonly number[] | null): void {
    if (pool.size + pool.draining === 0) this.#live = new Set();
    else if (replicas) this.#live = new Set(replicas);
  }

  /** The pool is about to go to `want` runtimes: leases that can go back now, and how many more it needs. */
  plan(want: number, pool: PoolState): LeasePlan {
    this.observe(pool, null);
    const add = Math.max(0, want - pool.size);
    if (!this.#exclusive) return this.#planAlike(want, pool);
    return this.#live ? this.#planKnown(add, this.#live) : this.#planUnknown(add, pool);
  }

  /** Takes the leases granted for the last {@link plan}; returns the most runtimes the pool may have now. */
  take(granted: readonly Lease[], pool: PoolState): number {
    const pending = this.#pending;
    this.#pending = null;
    if (!this.#exclusive) {
      this.#bag.push(...granted);
      // Alike leases have alike devices: every index the pool may start a runtime on gets them.
      const alike = granted[0]?.devices ?? this.devices[0];
      while (alike && this.devices.length < this.#bag.length) this.devices.push([...alike]);
      return this.#bag.length - pool.draining;
    }
    granted.forEach((lease, i) => this.#put(pending!.indices[i]!, lease));
    return pool.size + (pending ? pending.safe(granted.length) : 0);
  }

  /** The pool went from `from` runtimes to `to`: a grow lands on known indices, a shrink leaves them unknown. */
  resized(from: number, to: number): void {
    if (!this.#live || to === from) return;
    if (to < from) return void (this.#live = null);
    for (const index of lowestFree(this.#live, to - from)) this.#live.add(index);
  }

  /** A resize failed or was given up: which replicas run is no longer known. */
  lost(): void {
    if (this.#exclusive) this.#live = null;
  }

  /** Alike leases: as many as the runtimes wanted and those draining; never fewer than run now. */
  #planAlike(want: number, pool: PoolState): LeasePlan {
    const keep = Math.max(want, pool.size) + pool.draining;
    const release = this.#bag.splice(keep).map((l) => l.id);
    return { release, need: Math.max(0, want + pool.draining - this.#bag.length) };
  }

  /** The pool adds `add` runtimes on the lowest indices not running: hold exactly those and the running ones. */
  #planKnown(add: number, live: Set<number>): LeasePlan {
    const chosen = lowestFree(live, add);
    const keep = new Set([...live, ...chosen]);
    const release: string[] = [];
    this.#slots.forEach((lease, i) => {
      if (!lease || keep.has(i)) return;
      release.push(lease.id);
      this.#drop(i);
    });
    const indices = chosen.filter((i) => !this.#slots[i]);
    // The pool may grow as far as the chosen indices hold leases, lowest first.
    const safe = (placed: number): number => {
      const missing = new Set(indices.slice(placed));
      const gap = chosen.findIndex((i) => missing.has(i));
      return gap === -1 ? add : gap;
    };
    this.#pending = { indices, safe };
    return { release, need: indices.length };
  }

  /**
   * Which indices run is not known: the pool's lowest free ones may be any gaps in the table, or
   * past its end. Filling the lowest gaps first and then the end covers every choice it can make.
   */
  #planUnknown(add: number, pool: PoolState): LeasePlan {
    const end = this.#slots.length;
    const gaps = Array.from({ length: end }, (_, i) => i).filter((i) => !this.#slots[i]);
    const fills = gaps.slice(0, add);
    const freeBelowEnd = end - pool.size - pool.draining; // gaps and leases of replicas that exited
    const appended = Math.max(0, add - freeBelowEnd);
    const indices = [...fills, ...Array.from({ length: appended }, (_, i) => end + i)];
    const safe = (placed: number): number => {
      if (placed < fills.length) return placed;
      return Math.min(add, freeBelowEnd + placed - fills.length);
    };
    this.#pending = { indices, safe };
    return { release: [], need: indices.length };
  }

  #put(index: number, lease: Lease): void {
    this.#slots[index] = lease;
    this.devices[index] = lease.devices;
  }

  #drop(index: number): void {
    this.#slots[index] = undefined;
    // A missing entry makes the pool refuse to start a runtime there, rather than reuse devices.
    delete this.devices[index];
  }
}

/** The `count` lowest indices not in `live`. */
function lowestFree(live: ReadonlySet<number>, count: number): number[] {
  const free: number[] = [];
  for (let i = 0; free.length < count; i++) if (!live.has(i)) free.push(i);
  return free;
}
