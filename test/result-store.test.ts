import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { ResultStore } from "../control-plane/jobs/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";

describe("the records bucket's max age (the result TTL)", { timeout: 60_000 }, () => {
  let nats: TestNats;
  let nc: NatsConnection;
  const maxAgeSeconds = async (): Promise<number> =>
    (await (await jetstreamManager(nc)).streams.info("KV_glia-results")).config.max_age / 1e9;

  before(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("is 7 days by default, set by the platform's --result-ttl, and left alone by tools that only read", async () => {
    await ResultStore.open(nc);
    assert.equal(await maxAgeSeconds(), 7 * 24 * 3600);
    await ResultStore.open(nc, { ttlMs: 3_600_000 });
    assert.equal(await maxAgeSeconds(), 3600);
    await ResultStore.open(nc); // e.g. glia requeue
    assert.equal(await maxAgeSeconds(), 3600);
  });
});
