/**
 * @module
 * The machine's GPUs and CPU, leased to runtimes as the autoscalers ask (`glia up`): each running
 * runtime holds one lease, `compute.gpu` devices of its own and `compute.cpu` of the cores. A
 * ledger with no I/O and no clock: whoever holds it asks, releases, and forgets a worker whose
 * process is gone. CPU is counted in whole millicores, so fractions add up exactly.
 */
import { parseQuantity } from "../config/index.ts";

/** One runtime's share of the machine: its CUDA devices (empty: it sees no GPU). */
export interface Lease {
  /** Names the lease when it is given back. */
  id: string;
  devices: string[];
}

/** Who leases: one worker process of an API, and what each of its runtimes needs. */
export interface LeaseHolder {
  /** Unique per worker process; its leases are released together when it is gone. */
  id: string;
  api: string;
  /** `compute.gpu`. */
  gpu: number;
  /** `compute.cpu` in millicores (see {@link cpuMillis}); 0: not counted. */
  cpuMillis: number;
}

/** What a request for leases got, at once: possibly fewer than asked for, and then why. */
export interface LeaseAnswer {
  granted: Lease[];
  /** Why fewer were granted than asked for, naming who holds what; null when all were. */
  held: string | null;
}

/**
 * How an API's runtimes get GPUs on a machine with `inventory`: none asked for (`none`, they see
 * no GPU); devices of their own (`own`); every GPU, shared with the API's other runtimes, when one
 * runtime asks for more than the machine has (`shared`); none because the machine has none
 * (`missing`, handlers fall back to CPU).
 */
export type GpuMode = "none" | "own" | "shared" | "missing";

export function gpuMode(gpu: number, inventory: readonly string[]): GpuMode {
  if (gpu <= 0) return "none";
  if (inventory.length === 0) return "missing";
  return gpu > inventory.length ? "shared" : "own";
}

/**
 * `compute.cpu` in whole millicores, rounded up (`200m` → 200, `1.5` → 1500); 0 for none.
 * @example cpuMillis("250m") // 250
 */
export function cpuMillis(cpu: string | null): number {
  const quantity = cpu === null ? null : parseQuantity(cpu);
  if (!quantity || quantity.num <= 0n) return 0;
  const millis = (quantity.num * 1000n + quantity.den - 1n) / quantity.den;
  return millis > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(millis);
}

/** CPUs as people write them: 1500 millicores → `1.5`. */
export function formatCpus(millis: number): string {
  const whole = Math.trunc(millis / 1000);
  const rest = millis % 1000;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(3, "0").replace(/0+$/, "")}`;
}

interface Held {
  lease: Lease;
  holder: LeaseHolder;
}

/**
 * The machine's GPUs and CPU and who holds them. Grants what is free now, never more: a runtime
 * that needs GPUs gets distinct devices nobody else holds, and CPU beyond the machine's cores is
 * not granted, except to a worker's first runtime (an API is never starved of CPU altogether,
 * only slowed). Leases of one API may overlap: a new version of an API starts on the devices of
 * the version it replaces when no others are free, and runtimes that ask for more GPUs than the
 * machine has all share every GPU.
 *
 * @example
 * const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 2000 });
 * ledger.lease({ id: "a#1", api: "a", gpu: 1, cpuMillis: 500 }, 3);
 * // { granted: [{ id: "L1", devices: ["0"] }, { id: "L2", devices: ["1"] }], held: "2 of 2 GPUs are leased…" }
 */
export class CapacityLedger {
  readonly #gpus: readonly string[];
  readonly #cpuMillis: number;
  readonly #held = new Map<string, Held>();
  #serial = 0;

  constructor(inventory: { gpus: readonly string[]; cpuMillis: number }) {
    this.#gpus = [...inventory.gpus];
    this.#cpuMillis = inventory.cpuMillis;
  }

  /** The machine's GPUs, as CUDA device ids. */
  get gpus(): readonly string[] {
    return this.#gpus;
  }

  /** The machine's CPU in millicores. */
  get cpuMillis(): number {
    return this.#cpuMillis;
  }

  /** Up to `want` more leases for `holder`, as many as are free now (possibly none). */
  lease(holder: LeaseHolder, want: number): LeaseAnswer {
    const granted: Lease[] = [];
    while (granted.length < want) {
      const devices = this.#devicesFor(holder);
      if (devices === null) return { granted, held: this.#gpusHeld(holder) };
      if (!this.#cpuFits(holder)) return { granted, held: this.#cpuHeld(holder) };
      const lease = { id: `L${++this.#serial}`, devices };
      this.#held.set(lease.id, { lease, holder });
      granted.push(lease);
    }
    return { granted, held: null };
  }

  /** Gives back the leases of `holderId` named in `ids`; other ids (unknown, or another's) are ignored. */
  release(holderId: string, ids: readonly string[]): void {
    for (const id of ids) if (this.#held.get(id)?.holder.id === holderId) this.#held.delete(id);
  }

  /** Gives back every lease of `holderId` (its process is gone). */
  releaseAll(holderId: string): void {
    for (const [id, held] of this.#held) if (held.holder.id === holderId) this.#held.delete(id);
  }

  /** The leases `holderId` holds, oldest first. */
  leases(holderId: string): Lease[] {
    return [...this.#held.values()].filter((h) => h.holder.id === holderId).map((h) => h.lease);
  }

  /** The devices of the next lease of `holder`, or null when too few are free. */
  #devicesFor(holder: LeaseHolder): string[] | null {
    const mode = gpuMode(holder.gpu, this.#gpus);
    if (mode === "none" || mode === "missing") return [];
    // A device may be held by several leases only if they are all of one API.
    const open = (device: string): boolean => this.#holdersOf(device).every((h) => h.api === holder.api);
    if (mode === "shared") return this.#gpus.every(open) ? [...this.#gpus] : null;
    const candidates = this.#gpus.filter((d) => open(d) && !this.#holdersOf(d).some((h) => h.id === holder.id));
    // Free devices first; those of the API's other version only when no others are left.
    const free = candidates.filter((d) => this.#holdersOf(d).length === 0);
    const chosen = [...free, ...candidates.filter((d) => !free.includes(d))].slice(0, holder.gpu);
    return chosen.length === holder.gpu ? chosen : null;
  }

  #cpuFits(holder: LeaseHolder): boolean {
    if (holder.cpuMillis === 0 || this.leases(holder.id).length === 0) return true;
    // The CPU of the API's other version (being replaced) counts as free to it.
    const taken = [...this.#held.values()]
      .filter((h) => h.holder.api !== holder.api || h.holder.id === holder.id)
      .reduce((sum, h) => sum + h.holder.cpuMillis, 0);
    return this.#cpuMillis - taken >= holder.cpuMillis;
  }

  #holdersOf(device: string): LeaseHolder[] {
    return [...this.#held.values()].filter((h) => h.lease.devices.includes(device)).map((h) => h.holder);
  }

  /** Distinct devices held, by API. */
  #devicesByApi(): Map<string, number> {
    const byApi = new Map<string, Set<string>>();
    for (const { lease, holder } of this.#held.values()) {
      const devices = byApi.get(holder.api) ?? new Set();
      lease.devices.forEach((d) => devices.add(d));
      byApi.set(holder.api, devices);
    }
    return new Map([...byApi].filter(([, d]) => d.size > 0).map(([api, d]) => [api, d.size]));
  }

  #gpusHeld(holder: LeaseHolder): string {
    const total = this.#gpus.length;
    const others = new Set(
      [...this.#held.values()].filter((h) => h.holder.api !== holder.api).flatMap((h) => h.lease.devices),
    ).size;
    const list = listing(
      [...this.#devicesByApi()].filter(([api]) => api !== holder.api),
      String,
    );
    if (gpuMode(holder.gpu, this.#gpus) === "shared")
      return `each runtime takes all ${gpus(total)} (compute.gpu ${holder.gpu} is more than this machine has), and ${others} of them ${others === 1 ? "is" : "are"} leased to other APIs (${list})`;
    if (others === 0)
      return `this machine's ${gpus(total)} hold ${Math.floor(total / holder.gpu)} runtime(s) of compute.gpu ${holder.gpu}`;
    const own = this.#devicesByApi().get(holder.api) ?? 0;
    return (
      `${others} of ${gpus(total)} ${others === 1 ? "is" : "are"} leased to other APIs (${list})` +
      (own > 0 ? `, ${own} to ${holder.api}` : "") +
      (holder.gpu > 1 ? `; each runtime needs ${holder.gpu}` : "")
    );
  }

  #cpuHeld(holder: LeaseHolder): string {
    const byApi = new Map<string, number>();
    for (const { holder: h } of this.#held.values()) byApi.set(h.api, (byApi.get(h.api) ?? 0) + h.cpuMillis);
    const list = listing(
      [...byApi].filter(([, m]) => m > 0),
      formatCpus,
    );
    const taken = [...byApi.values()].reduce((sum, m) => sum + m, 0);
    const free = Math.max(0, this.#cpuMillis - taken);
    const machine = `this machine's ${formatCpus(this.#cpuMillis)} CPU${this.#cpuMillis === 1000 ? "" : "s"}`;
    if (free === 0) return `${machine} ${this.#cpuMillis === 1000 ? "is" : "are"} all leased (${list})`;
    return `${formatCpus(free)} of ${machine} ${free === 1000 ? "is" : "are"} free and each runtime needs ${formatCpus(holder.cpuMillis)} (leased: ${list})`;
  }
}

function gpus(count: number): string {
  return `${count} GPU${count === 1 ? "" : "s"}`;
}

/** `a: 2, b: 1`, by name. */
function listing(entries: Array<[string, number]>, format: (n: number) => string): string {
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, n]) => `${api}: ${format(n)}`)
    .join(", ");
}
