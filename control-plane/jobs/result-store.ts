import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { Kvm, KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { LARGE_RESULTS_STORE, RESULTS_BUCKET, recordKey, recordKeys } from "./names.ts";
import { openObject, type StoredObject } from "./object-reader.ts";
import { canTransition, newRecord, type RequestRecord } from "./record.ts";
import { RecordConflictError, RecordTooLargeError, StoreUnavailableError } from "./errors.ts";

/** Default time a record (and so a result) is kept: 7 days, as Cortex did. */
export const DEFAULT_RESULT_TTL_MS = 7 * 24 * 3600_000;

/**
 * A large result is kept this much longer than records are, so it never expires before the
 * record that points at it (which is written just after it).
 */
const LARGE_RESULT_MARGIN_MS = 3600_000;

/** Room kept under the server's max_payload for the message's own framing and headers. */
const FRAME_MARGIN = 1024;

export interface ResultStoreOptions {
  /** How long records live, in milliseconds (the bucket's max age). @default 7 days for a new bucket; an existing one keeps its own */
  ttlMs?: number;
  /** Replicas of the bucket's stream in a NATS cluster. @default 1 */
  replicas?: number;
}

/** A record read from the store with the revision to compare-and-set against. */
export interface StoredRecord {
  record: RequestRecord;
  revision: number;
}

/**
 * The request records in a JetStream KV bucket; every write is a compare-and-set. A result too
 * large for a record goes to an object store, and the record says so (`resultStored`).
 */
export class ResultStore {
  readonly #kv: KV;
  readonly #large: ObjectStore;
  readonly #js: JetStreamClient;
  readonly #maxBytes: number;
  /** How long a record is kept after its last write (the bucket's max age). */
  readonly ttlMs: number;

  private constructor(kv: KV, large: ObjectStore, js: JetStreamClient, maxBytes: number, ttlMs: number) {
    this.#kv = kv;
    this.#large = large;
    this.#js = js;
    this.#maxBytes = maxBytes;
    this.ttlMs = ttlMs;
  }

  /** Creates the bucket if needed (idempotent) and checks its max age is what was asked. */
  /**
   * Opens the bucket, creating it if needed. With `ttlMs` the bucket's max age is set to it;
   * without, an existing bucket is used as it is (tools like `glia requeue` change nothing).
   */
  static async open(nc: NatsConnection, options: ResultStoreOptions = {}): Promise<ResultStore> {
    const jsm = await jetstreamManager(nc);
    const stream = `KV_${RESULTS_BUCKET}`;
    const existing = await jsm.streams.info(stream).catch(() => null);
    const kvm = new Kvm(jetstream(nc));
    const ttl = options.ttlMs ?? (existing ? undefined : DEFAULT_RESULT_TTL_MS);
    // Direct gets name the key in their subject, so NATS permissions can limit a worker to its
    // API's records. On a cluster any replica answers them, possibly with an older revision, so
    // there records are read from the stream's leader (compare-and-set needs the latest).
    const direct = existing?.config.allow_direct === true && (options.replicas ?? 1) === 1;
    const kv = existing
      ? await kvm.open(RESULTS_BUCKET, { allow_direct: direct })
      : await kvm.create(RESULTS_BUCKET, {
          ttl,
          history: 1,
          storage: StorageType.File,
          replicas: options.replicas ?? 1,
        });
    if (existing && ttl !== undefined && existing.config.max_age !== nanos(ttl)) {
      // Made with another TTL: apply the one asked for now (it applies to every record).
      await jsm.streams.update(stream, { ...existing.config, max_age: nanos(ttl) });
    }
    const recordsMs = ttl ?? Number(BigInt(existing!.config.max_age) / 1_000_000n);
    const large = await openLargeResults(nc, recordsMs + LARGE_RESULT_MARGIN_MS, options.replicas ?? 1);
    return new ResultStore(kv, large, jetstream(nc), nc.info!.max_payload - FRAME_MARGIN, recordsMs);
  }

  /** Writes a new record; fails if one with the same key exists. */
  async create(record: RequestRecord): Promise<number> {
    const key = recordKey(record.api, record.id);
    return this.#write(key, () => this.#kv.create(key, this.#encode(key, record)));
  }

  async get(api: string, id: string): Promise<StoredRecord | null> {
    const key = recordKey(api, id);
    const entry = await this.#read(key);
    return entry ? { record: entry.json<RequestRecord>(), revision: entry.revision } : null;
  }

  /** The ids of every stored record of an API, each once. */
  async keys(api: string): Promise<string[]> {
    // The listing can name a key twice when its record is written while it runs.
    const ids = new Set<string>();
    for await (const key of await this.#kv.keys(recordKeys(api))) ids.add(key.slice(key.indexOf(".") + 1));
    return [...ids];
  }

  /** Removes a record, e.g. the `in_queue` record of a request whose message could not be queued. */
  async remove(api: string, id: string): Promise<void> {
    const key = recordKey(api, id);
    await this.#write(key, () => this.#kv.delete(key));
  }

  /**
   * Moves a record forward with compare-and-set. `next` maps the current record to the new one;
   * the write is skipped (and `null` returned) when the record is gone or the move would go
   * backwards, e.g. a duplicate delivery finding the request already final.
   */
  async advance(current: StoredRecord, next: (record: RequestRecord) => RequestRecord): Promise<StoredRecord | null> {
    let stored: StoredRecord | null = current;
    for (let tries = 0; tries < 5 && stored; tries++) {
      const updated = next(stored.record);
      if (!canTransition(stored.record.status, updated.status)) return null;
      const key = recordKey(updated.api, updated.id);
      try {
        const { record, text } = await this.#fitted(key, updated);
        const revision = await this.#kv.update(key, text, stored.revision);
        return { record, revision };
      } catch (err) {
        if (err instanceof RecordTooLargeError || !isWrongSequence(err)) throw wrap(key, err);
        stored = await this.get(updated.api, updated.id);
      }
    }
    if (stored) throw new RecordConflictError(recordKey(current.record.api, current.record.id));
    return null;
  }

  /**
   * Calls `onUpdate` for every record written or removed from now on, until the returned function
   * is called: with the key, a reader of the record (null when it was removed) and its encoded
   * size. The record is decoded only if the caller asks for it.
   */
  async watch(onUpdate: (key: string, read: (() => StoredRecord) | null, bytes: number) => void): Promise<() => void> {
    const updates = await this.#kv.watch({ include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of updates) {
        if (entry.operation !== "PUT") onUpdate(entry.key, null, 0);
        else
          onUpdate(entry.key, () => ({ record: entry.json<RequestRecord>(), revision: entry.revision }), entry.length);
      }
    })();
    return () => updates.stop();
  }

  /**
   * Puts a failed request back to `in_queue` (for `glia requeue`), the one move that goes
   * backwards, made on purpose by a person; compare-and-set like every other write.
   */
  async reopen(current: StoredRecord): Promise<StoredRecord> {
    const record = newRecord(current.record.api, current.record.id, new Date(current.record.createdAt));
    const key = recordKey(record.api, record.id);
    const revision = await this.#write(key, () => this.#kv.update(key, this.#encode(key, record), current.revision));
    return { record, revision };
  }

  /** Largest encoded record this store can write. */
  get maxRecordBytes(): number {
    return this.#maxBytes;
  }

  /**
   * The JSON of a result too large for its record (`resultStored`), as stored, to be read as it
   * arrives from NATS; null for a record that holds its result inline, or when the stored one is
   * gone (it expired). The stream errors if what arrives does not match the stored digest.
   */
  async largeResult(record: RequestRecord): Promise<StoredObject | null> {
    if (!record.resultStored) return null;
    const key = recordKey(record.api, record.id);
    return openObject(this.#js, this.#large, LARGE_RESULTS_STORE, key).catch((err: unknown) => {
      throw wrap(key, err);
    });
  }

  async #putLarge(key: string, result: NonNullable<RequestRecord["result"]>): Promise<void> {
    await this.#large.putBlob({ name: key }, Buffer.from(JSON.stringify(result))).catch((err: unknown) => {
      throw wrap(key, err);
    });
  }

  /** The record as it is stored, and its JSON: a result too large for a record goes to the object store first. */
  async #fitted(key: string, record: RequestRecord): Promise<{ record: RequestRecord; text: string }> {
    const text = JSON.stringify(record);
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.#maxBytes) return { record, text };
    if (record.result === undefined) throw new RecordTooLargeError(key, bytes, this.#maxBytes);
    await this.#putLarge(key, record.result);
    const small: RequestRecord = { ...record, result: undefined, resultStored: true };
    return { record: small, text: this.#encode(key, small) };
  }

  #encode(key: string, record: RequestRecord): string {
    const text = JSON.stringify(record);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.#maxBytes) throw new RecordTooLargeError(key, bytes, this.#maxBytes);
    return text;
  }

  async #read(key: string): Promise<KvEntry | null> {
    try {
      const entry = await this.#kv.get(key);
      return entry && entry.operation === "PUT" ? entry : null;
    } catch (err) {
      throw wrap(key, err);
    }
  }

  async #write<T>(key: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw wrap(key, err);
    }
  }
}

function isWrongSequence(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return text.includes("wrong last sequence") || (err as { code?: number })?.code === 10071;
}

function wrap(key: string, err: unknown): Error {
  if (err instanceof RecordTooLargeError || err instanceof StoreUnavailableError) return err;
  return new StoreUnavailableError(`could not write or read the record ${key}: ${(err as Error)?.message ?? err}`, {
    cause: err,
  });
}

/** The object store of large results; its max age follows the records' (plus a margin). */
async function openLargeResults(nc: NatsConnection, maxAgeMs: number, replicas: number): Promise<ObjectStore> {
  const store = await new Objm(jetstream(nc)).create(LARGE_RESULTS_STORE, {
    ttl: nanos(maxAgeMs), // the object store's TTL is in nanoseconds
    storage: StorageType.File,
    replicas,
  });
  const jsm = await jetstreamManager(nc);
  const stream = `OBJ_${LARGE_RESULTS_STORE}`;
  const info = await jsm.streams.info(stream);
  if (info.config.max_age !== nanos(maxAgeMs))
    await jsm.streams.update(stream, { ...info.config, max_age: nanos(maxAgeMs) });
  return store;
}
