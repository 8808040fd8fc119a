import { GatewayBusyError } from "./errors.ts";

/** Bytes of request bodies the gateway holds in memory at once by default: 256 MiB. */
export const DEFAULT_MAX_BODY_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * The bytes of request bodies held in memory at once, across every request on every listener of
 * one gateway. A request takes its share as its body is declared or arrives; a request that would
 * pass the cap is refused (503), and its share is given back when it ends, however it ends.
 */
export class BodyBudget {
  #held = 0;

  /** @param capBytes The most bytes held at once. */
  constructor(readonly capBytes: number) {
    if (!Number.isSafeInteger(capBytes) || capBytes <= 0) {
      throw new RangeError(`the body memory cap must be a positive number of bytes, got ${capBytes}`);
    }
  }

  /**
   * The budget for a gateway that takes bodies of up to `maxBodyBytes`.
   * @param capBytes The cap; @default 256 MiB, or twice `maxBodyBytes` when that is more. It may not
   * be under `maxBodyBytes`, or a body the gateway allows could never be taken.
   */
  static forBodies(maxBodyBytes: number, capBytes?: number): BodyBudget {
    const cap = capBytes ?? Math.max(DEFAULT_MAX_BODY_MEMORY_BYTES, 2 * maxBodyBytes);
    if (cap < maxBodyBytes) {
      throw new RangeError(
        `the body memory cap (${cap} bytes) is under the largest body allowed (maxBodyBytes, ${maxBodyBytes} bytes); raise the cap or lower maxBodyBytes`,
      );
    }
    return new BodyBudget(cap);
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.#held;
  }

  /** A share for one request, empty until it takes bytes. */
  share(): BodyShare {
    return new BodyShare(this);
  }

  /** @internal Takes `n` bytes, or throws GatewayBusyError and takes nothing. */
  take(n: number): void {
    if (this.#held + n > this.capBytes) throw new GatewayBusyError(this.capBytes);
    this.#held += n;
  }

  /** @internal */
  give(n: number): void {
    this.#held -= n;
  }
}

/** One request's part of a BodyBudget. */
export class BodyShare {
  #taken = 0;
  #released = false;

  constructor(readonly budget: BodyBudget) {}

  /** Makes the share at least `total` bytes (a declared length up front, or what arrived so far). */
  cover(total: number): void {
    if (this.#released) throw new Error("a released body share cannot grow");
    if (total <= this.#taken) return;
    this.budget.take(total - this.#taken);
    this.#taken = total;
  }

  /** Gives the bytes back; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.give(this.#taken);
    this.#taken = 0;
  }
}
