/**
 * RecordWaiters on a real nats-server: a GET of a record the records' watch delivered lately is
 * answered from memory, and never with something the store no longer says (a removed record, a
 * requeued one, one too large to keep, one older than the memory's lifetime).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  completed,
  failed,
  newRecord,
  RecordWaiters,
  ResultStore,
  type StoredRecord,
} from "../control-plane/jobs/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";

/** The store, counting the reads that go to NATS. */
function counted(store: ResultStore): { store: ResultStore; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === "get") reads++;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, reads: () => reads };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)}`);
    await sleep(10);
  }
}

describe("RecordWaiters: GETs answered from the records' watch", { timeout: 60_000 }, () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: ResultStore;

  before(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    store = await ResultStore.open(nc, { ttlMs: 3_600_000 });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("answers a record the watch delivered without reading the store, and follows it as it moves", async () => {
    const { store: reading, reads } = counted(store);
    const waiters = await RecordWaiters.open(reading);
    try {
      const id = randomUUID();
      const revision = await store.create(newRecord("api", id));
      const queued = await until(
        async () => (await waiters.latest("api", id))?.record.status,
        (s) => s === "in_queue",
        "the new record",
      );
      assert.equal(queued, "in_queue");
      const before = reads();
      for (let i = 0; i < 20; i++) assert.equal((await waiters.latest("api", id))?.record.status, "in_queue");
      assert.equal(reads(), before, "twenty GETs of a record just seen read nothing from NATS");

      // Seen and not final: a long poll waits for the watch, without a first read.
      const waiting = waiters.wait("api", id, 5_000);
      const current: StoredRecord = { record: newRecord("api", id), revision };
      await store.advance(current, (r) => completed(r, { ok: true }));
      const final = await waiting;
      assert.equal(final?.record.status, "completed");
      assert.deepEqual(final?.record.result, { ok: true });
      assert.equal(reads(), before, "the long poll was answered by the watch alone");
    } finally {
      waiters.close();
    }
  });

  it("never answers from memory what the store no longer says: removed, requeued, too large, unseen", async () => {
    const waiters = await RecordWaiters.open(store);
    try {
      const removed = randomUUID();
      await store.create(newRecord("api", removed));
      await until(
        () => waiters.latest("api", removed),
        (s) => s !== null,
        "the record",
      );
      await store.remove("api", removed);
      await until(
        () => waiters.latest("api", removed),
        (s) => s === null,
        "the removed record",
      );

      const requeued = randomUUID();
      const revision = await store.create(newRecord("api", requeued));
      const failure = { type: "HandlerError", message: "no" } as Parameters<typeof failed>[1];
      const ended = await store.advance({ record: newRecord("api", requeued), revision }, (r) => failed(r, failure));
      await until(
        async () => (await waiters.latest("api", requeued))?.record.status,
        (s) => s === "failed",
        "the failed record",
      );
      await store.reopen(ended!);
      await until(
        async () => (await waiters.latest("api", requeued))?.record.status,
        (s) => s === "in_queue",
        "the requeued record",
      );

      const large = randomUUID();
      const big = await store.create(newRecord("api", large));
      const result = { text: "x".repeat(64 * 1024) };
      await store.advance({ record: newRecord("api", large), revision: big }, (r) => completed(r, result));
      const read = await until(
        () => waiters.latest("api", large),
        (s) => s?.record.status === "completed",
        "the large record",
      );
      assert.deepEqual(read?.record.result, result, "a record too large to keep is read whole from the store");

      assert.equal(await waiters.latest("api", randomUUID()), null, "an id never written is not found");
    } finally {
      waiters.close();
    }
  });
});
