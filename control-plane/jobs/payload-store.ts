import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import { jetstream, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { PAYLOADS_STORE as PAYLOADS, recordKey } from "./names.ts";
import { readObject } from "./object-reader.ts";
import { StoreUnavailableError } from "./errors.ts";

/**
 * Large payloads in the NATS object store, named like their records (`<api>.<id>`), kept no
 * longer than records are. The queued message then carries only a reference.
 */
export class PayloadStore {
  readonly #os: ObjectStore;
  readonly #js: JetStreamClient;

  private constructor(os: ObjectStore, js: JetStreamClient) {
    this.#os = os;
    this.#js = js;
  }

  static async open(nc: NatsConnection, options: { ttlMs?: number; replicas?: number } = {}): Promise<PayloadStore> {
    const js = jetstream(nc);
    const os = await new Objm(js).create(PAYLOADS, {
      ttl: nanos(options.ttlMs ?? 7 * 24 * 3600_000), // the object store's TTL is in nanoseconds
      storage: StorageType.File,
      replicas: options.replicas ?? 1,
    });
    return new PayloadStore(os, js);
  }

  async put(api: string, id: string, payload: Uint8Array): Promise<void> {
    try {
      await this.#os.putBlob({ name: recordKey(api, id) }, payload);
    } catch (err) {
      throw new StoreUnavailableError(`could not store the payload of ${id}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** The payload, or `null` when it is gone (expired with its record). */
  async get(api: string, id: string): Promise<Uint8Array | null> {
    return readObject(this.#js, this.#os, PAYLOADS, recordKey(api, id));
  }

  async remove(api: string, id: string): Promise<void> {
    await this.#os.delete(recordKey(api, id)).catch(() => false);
  }
}
