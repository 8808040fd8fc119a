import { randomUUID } from "node:crypto";
import type { Logger } from "../observability/index.ts";
import { newRecord, type PayloadStore, type ResultStore, type WorkQueue } from "../jobs/index.ts";
import type { NewRequest, RequestIntake } from "./ports.ts";

export interface QueueIntakeOptions {
  store: ResultStore;
  queue: WorkQueue;
  payloads: PayloadStore;
  /** Bodies over this many bytes travel through the payload store instead of inside the message. */
  inlineLimitBytes: number;
  logger: Logger;
}

/**
 * Takes a request in over NATS: its `in_queue` record first, then its message (with a payload
 * too large for a message kept in the payload store, the message carrying a reference). When the
 * message cannot be queued, what was stored is removed again, so a refused request leaves nothing.
 */
export class QueueIntake implements RequestIntake {
  readonly #o: QueueIntakeOptions;
  readonly #log: Logger;

  constructor(options: QueueIntakeOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: "gateway" });
  }

  async submit(api: string, request: NewRequest): Promise<string> {
    const { payload, contentType, headers } = request;
    const id = randomUUID();
    const record = newRecord(api, id);
    const revision = await this.#o.store.create(record);
    const payloadStored = payload.byteLength > this.#o.inlineLimitBytes;
    try {
      if (payloadStored) await this.#o.payloads.put(api, id, payload);
      const queued = { revision, createdAt: record.createdAt };
      const inline = payloadStored ? new Uint8Array(0) : payload;
      await this.#o.queue.publish(api, { id, payload: inline, contentType, headers, queued, payloadStored });
    } catch (err) {
      if (payloadStored) await this.#o.payloads.remove(api, id);
      await this.#o.store
        .remove(api, id)
        .catch((cleanup: unknown) =>
          this.#log.error({ err: cleanup, api, id }, "could not remove the record of an unqueued request"),
        );
      throw err;
    }
    return id;
  }
}
