// The work queue's in-flight count (what the autoscaler sizes an API by) on a real nats-server.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { WorkQueue } from "../control-plane/jobs/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";

describe("WorkQueue.inFlight", { timeout: 60_000 }, () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let queue: WorkQueue;

  before(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    queue = await WorkQueue.open(nc, { ackWaitMs: 30_000 });
    await queue.ensure("scaled");
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("counts queued requests and those delivered but not yet acknowledged", async () => {
    assert.equal(await queue.inFlight("scaled"), 0);
    for (const id of ["a", "b", "c"])
      await queue.publish("scaled", {
        id,
        payload: new TextEncoder().encode("{}"),
        contentType: "application/json",
        headers: {},
        queued: { createdAt: new Date().toISOString(), revision: 1 },
      });
    assert.equal(await queue.inFlight("scaled"), 3);
    assert.equal(await queue.pending("scaled"), 3);
    const stream = await queue.pull("scaled");
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next(); // delivered, not acknowledged: still in flight
    assert.equal(first.done, false);
    assert.equal(await queue.pending("scaled"), 2);
    assert.equal(await queue.inFlight("scaled"), 3);
    await first.value!.msg.ackAck();
    assert.equal(await queue.inFlight("scaled"), 2);
    stream.stop();
  });
});
