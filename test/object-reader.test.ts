import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { openObject, readObject } from "../control-plane/jobs/object-reader.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";

describe("reading objects of the NATS object store", { timeout: 120_000 }, () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let store: ObjectStore;
  const BUCKET = "reader-test";

  before(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    store = await new Objm(js).create(BUCKET);
  });
  /** Stores 100 bytes as `name`, then replaces its chunks with `chunk`. */
  async function tamper(name: string, chunk: Uint8Array): Promise<void> {
    await store.putBlob({ name }, randomBytes(100));
    const { nuid } = (await store.info(name))!;
    const jsm = await js.jetstreamManager();
    await jsm.streams.purge(`OBJ_${BUCKET}`, { filter: `$O.${BUCKET}.C.${nuid}` });
    await js.publish(`$O.${BUCKET}.C.${nuid}`, chunk);
  }

  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("gives back exactly what was stored: empty, one chunk, and many chunks", async () => {
    for (const [name, bytes] of [
      ["empty", Buffer.alloc(0)],
      ["small", randomBytes(1000)],
      ["chunked", randomBytes(3 * 1024 * 1024 + 17)], // 128 KiB chunks, the last one short
    ] as const) {
      await store.putBlob({ name }, bytes);
      const read = await readObject(js, store, BUCKET, name);
      assert.ok(read, name);
      assert.equal(Buffer.compare(Buffer.from(read), bytes), 0, `${name} is read whole and unchanged`);
      const opened = await openObject(js, store, BUCKET, name);
      assert.equal(opened?.size, bytes.length);
    }
  });

  it("serves several reads of a large object at once", async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    await store.putBlob({ name: "large" }, bytes);
    const reads = await Promise.all([1, 2, 3, 4].map(() => readObject(js, store, BUCKET, "large")));
    for (const read of reads) assert.equal(Buffer.compare(Buffer.from(read!), bytes), 0);
  });

  it("leaves no consumer on the server, whether a read ends, fails or is given up midway", async () => {
    const jsm = await js.jetstreamManager();
    await store.putBlob({ name: "read-and-left" }, randomBytes(2 * 1024 * 1024));
    await readObject(js, store, BUCKET, "read-and-left");
    await tamper("failed", randomBytes(100));
    await assert.rejects(readObject(js, store, BUCKET, "failed"));
    const opened = await openObject(js, store, BUCKET, "read-and-left");
    const reader = opened!.data.getReader();
    await reader.read();
    await reader.cancel();
    let consumers = -1;
    for (let i = 0; i < 50 && consumers !== 0; i++) {
      consumers = (await jsm.streams.info(`OBJ_${BUCKET}`)).state.consumer_count;
      if (consumers !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(consumers, 0, "every read's consumer is deleted");
  });

  it("answers null for an object that is not there or was deleted", async () => {
    assert.equal(await readObject(js, store, BUCKET, "never-stored"), null);
    await store.putBlob({ name: "deleted" }, randomBytes(10));
    await store.delete("deleted");
    assert.equal(await readObject(js, store, BUCKET, "deleted"), null);
  });

  it("fails a read whose chunks are not what was stored, naming the object", async () => {
    await tamper("longer", randomBytes(110));
    await assert.rejects(
      readObject(js, store, BUCKET, "longer"),
      /object longer of reader-test arrived corrupt: more than its 100 bytes/,
    );
    await tamper("swapped", randomBytes(100));
    await assert.rejects(
      readObject(js, store, BUCKET, "swapped"),
      /object swapped of reader-test arrived corrupt: SHA-256/,
    );
  });
});
