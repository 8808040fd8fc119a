/**
 * Fault injection on a three-node NATS cluster (`--replicas 3`): one node is killed with SIGKILL
 * under load. A client that is told 503 while the cluster elects new leaders tries again, as the
 * answer's Retry-After asks; every request that got an id must end.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { Platform } from "../control-plane/platform/index.ts";
import { startTestCluster, type TestCluster } from "./support/nats-cluster.ts";
import { inPool, LOAD, postJson, report, upOn } from "./support/fault-load.ts";
import type { Answer } from "./support/http.ts";

describe("a three-node NATS cluster with --replicas 3", { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let dataDir: string;
  let platform: Platform;

  before(async () => {
    cluster = await startTestCluster();
    dataDir = await mkdtemp(join(tmpdir(), "glia-cluster-data-"));
    platform = await upOn(cluster.url, dataDir, ["fault-load"], { replicas: 3 });
  });
  after(async () => {
    await platform?.stop(1_000);
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps three replicas of every stream, bucket and object store", async () => {
    const jsm = await jetstreamManager(platform.nc);
    const streams = await jsm.streams.list().next();
    const names = streams.map((s) => s.config.name);
    for (const expected of ["GLIA_REQ_faults", "GLIA_DLQ_faults", "KV_glia-results", "KV_glia-apis"])
      assert.ok(names.includes(expected), `${expected} among ${names.join(", ")}`);
    assert.ok(
      names.some((n) => n.startsWith("OBJ_")),
      `an object store among ${names.join(", ")}`,
    );
    for (const s of streams) assert.equal(s.config.num_replicas, 3, `${s.config.name} has 3 replicas`);
  });

  it("loses nothing when a node is killed under load", async () => {
    const runsFile = join(dataDir, "runs.txt");
    const ids: string[] = [];
    let retried = 0;
    await inPool([...Array(LOAD).keys()], async (i) => {
      if (i === Math.floor(LOAD / 3)) cluster.nodes[2]!.kill("SIGKILL");
      const deadline = Date.now() + 60_000;
      let res: Answer | null;
      while ((res = await postJson(`${platform.url}/faults`, { i, runs: runsFile }))?.status !== 200) {
        assert.ok(Date.now() < deadline, `request ${i} not accepted within 60 s: ${JSON.stringify(res?.body)}`);
        assert.equal(res?.status, 503, `while leaders move, a refusal is a 503: ${JSON.stringify(res?.body)}`);
        retried++;
        await new Promise((r) => setTimeout(r, 1000 * Number(res!.headers.get("retry-after") ?? 1)));
      }
      ids.push(String(res!.body["id"]));
    });
    const notes = { "503 tried again": retried, accepted: ids.length };
    const t = await report("lose one of three NATS nodes", {
      endpoint: `${platform.url}/faults`,
      ids,
      runsFile,
      notes,
    });
    assert.equal(t.completed, LOAD);
  });
});
