/**
 * @module
 * The platform's side of one API's leases (`glia up`): each worker process of the API holds
 * leases of its own in the machine's {@link CapacityLedger}, from its first runtimes (sent in its
 * plan) to its exit, when whatever it still holds goes back.
 */
import type { Logger } from "../observability/index.ts";
import type { ResolvedApiSpec } from "../config/index.ts";
import { cpuMillis, gpuMode, type CapacityLedger, type Lease, type LeaseHolder } from "./capacity.ts";
import { checkLeaseRequest, isLeaseMessage, type LeaseReply } from "./lease-protocol.ts";
import type { PlanLeases } from "./worker-plan.ts";

/** One worker process's leases, from its spawn to its exit. */
export interface LeaseSession {
  readonly plan: PlanLeases;
  /** Why it starts with fewer runtimes than `init_replicas`; null when it got them all. */
  readonly held: string | null;
  /** The answer to a message about leases from the worker, if it needs one; other messages are ignored. */
  answer(message: unknown): LeaseReply | null;
  /** What it holds now. */
  leases(): Lease[];
  /** Its process is gone: everything it held goes back, and it gets nothing more. */
  close(): void;
}

/** What leasing reads of an API's spec. */
export interface LeasedSpec {
  name: string;
  compute: Pick<ResolvedApiSpec["compute"], "gpu" | "cpu">;
  autoscaling: Pick<ResolvedApiSpec["autoscaling"], "initReplicas" | "maxReplicas">;
}

/** Opens the lease session of each worker process of one API. */
export interface LeaseBroker {
  open(): LeaseSession;
}

/**
 * The leases of `spec`'s worker processes in `ledger`. A worker holds at most twice `max_replicas`
 * (those running and as many draining), whatever it asks for.
 */
export function leaseBroker(ledger: CapacityLedger, spec: LeasedSpec, logger: Logger): LeaseBroker {
  const log = logger.child({ module: "leases", api: spec.name });
  let serial = 0;
  return {
    open: () => {
      const holder: LeaseHolder = {
        id: `${spec.name}#${++serial}`,
        api: spec.name,
        gpu: spec.compute.gpu,
        cpuMillis: cpuMillis(spec.compute.cpu),
      };
      return new Session(ledger, holder, spec, log);
    },
  };
}

class Session implements LeaseSession {
  readonly plan: PlanLeases;
  readonly held: string | null;
  readonly #ledger: CapacityLedger;
  readonly #holder: LeaseHolder;
  readonly #most: number;
  readonly #log: Logger;
  #closed = false;

  constructor(ledger: CapacityLedger, holder: LeaseHolder, spec: LeasedSpec, log: Logger) {
    this.#ledger = ledger;
    this.#holder = holder;
    this.#most = 2 * spec.autoscaling.maxReplicas;
    this.#log = log;
    const first = ledger.lease(holder, Math.min(spec.autoscaling.initReplicas, this.#most));
    this.plan = { initial: first.granted, exclusive: gpuMode(holder.gpu, ledger.gpus) === "own" };
    this.held = first.held;
  }

  answer(message: unknown): LeaseReply | null {
    if (!isLeaseMessage(message)) return null;
    const request = checkLeaseRequest(message);
    if ("problem" in request) {
      this.#log.warn({ problem: request.problem }, "a worker's message about leases is refused");
      const id = (message as { id?: unknown }).id;
      return typeof id === "number" ? { type: "leased", id, granted: [], held: "the request was refused" } : null;
    }
    if (request.type === "release") {
      this.#ledger.release(this.#holder.id, request.leases);
      return null;
    }
    return { type: "leased", id: request.id, ...this.#lease(request.want) };
  }

  leases(): Lease[] {
    return this.#closed ? [] : this.#ledger.leases(this.#holder.id);
  }

  close(): void {
    this.#closed = true;
    this.#ledger.releaseAll(this.#holder.id);
  }

  #lease(want: number): { granted: Lease[]; held: string | null } {
    if (this.#closed) return { granted: [], held: "the worker process has exited" };
    const room = Math.max(0, this.#most - this.leases().length);
    const answer = this.#ledger.lease(this.#holder, Math.min(want, room));
    if (want <= room) return answer;
    return { ...answer, held: answer.held ?? `a worker holds at most ${this.#most} leases (twice max_replicas)` };
  }
}
