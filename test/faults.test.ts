/**
 * Fault injection under load: each case sends at least a thousand requests, injects a fault, then
 * prints one summary line (sent, completed, failed with a reason, lost, processed more than once)
 * and fails if any request that got an id was lost. The cases that need a process of their own
 * (the gateway, a NATS cluster) are in gateway-kill.test.ts and cluster.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Platform } from "../control-plane/platform/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";
import { get } from "./support/http.ts";
import { inPool, LOAD, postJson, report, upOn } from "./support/fault-load.ts";

const AT_A_THIRD = Math.floor(LOAD / 3);

describe("fault injection under load", { timeout: 600_000 }, () => {
  let nats: TestNats;
  let dataDir: string;
  let platform: Platform;

  const start = (): Promise<Platform> => upOn(nats.url, dataDir, ["fault-load", "fault-limits"], { ackWaitMs: 2_000 });
  const endpoint = (api: string): string => `${platform.url}/${api}`;

  before(async () => {
    nats = await startTestNats();
    dataDir = await mkdtemp(join(tmpdir(), "glia-faults-"));
    platform = await start();
  });
  after(async () => {
    await platform?.stop(1_000);
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * Sends LOAD requests to `api`, each accepted; `fault` runs once `faultAt` of them have been
   * accepted. Returns the ids and the runs file the handler writes.
   */
  async function send(
    api: string,
    name: string,
    payload: (i: number) => Record<string, unknown>,
    faultAt: number,
    fault: () => Promise<void>,
  ): Promise<{ ids: string[]; runsFile: string }> {
    const runsFile = join(dataDir, `runs-${name}.txt`);
    const ids: string[] = [];
    let faulted: Promise<void> | null = null;
    await inPool([...Array(LOAD).keys()], async (i) => {
      const res = await postJson(endpoint(api), { i, runs: runsFile, ...payload(i) });
      assert.equal(res?.status, 200, JSON.stringify(res?.body));
      ids.push(String(res!.body["id"]));
      if (ids.length === faultAt) faulted = fault();
    });
    await faulted;
    return { ids, runsFile };
  }

  it("kill -9 a worker process mid-load", async () => {
    // 50 ms a request keeps both runtimes busy, so the kill lands in the middle of requests.
    const sent = await send(
      "faults",
      "kill-worker",
      () => ({ sleep: 0.05 }),
      AT_A_THIRD,
      async () => {
        process.kill(platform.workers.get("faults")!.pid!, "SIGKILL");
      },
    );
    const t = await report("kill -9 worker", { endpoint: endpoint("faults"), ...sent });
    assert.equal(t.completed, LOAD);
  });

  it("kill -9 a runtime mid-load", async () => {
    const killRuntime = async (): Promise<void> => {
      const res = await postJson(endpoint("faults"), { i: -1, runs: join(dataDir, "probe.txt") });
      const done = await get(`${endpoint("faults")}/${res!.body["id"]}?wait=30`);
      process.kill((done.body["result"] as { pid: number }).pid, "SIGKILL");
    };
    const sent = await send("faults", "kill-runtime", () => ({ sleep: 0.05 }), LOAD / 4, killRuntime);
    const t = await report("kill -9 runtime", { endpoint: endpoint("faults"), ...sent });
    assert.equal(t.completed, LOAD);
  });

  it("a handler that raises for some inputs", async () => {
    const sent = await send(
      "faults",
      "raises",
      () => ({ raise_some: true }),
      LOAD,
      async () => {},
    );
    const t = await report("handler raises for 1 in 10", { endpoint: endpoint("faults"), ...sent });
    assert.equal(t.failed, LOAD / 10);
    assert.equal(t.completed, LOAD - LOAD / 10);
  });

  it("a handler that hangs past its timeout for some inputs", async () => {
    const hangs = (i: number): boolean => i % 200 === 7;
    const sent = await send(
      "hangs",
      "hangs",
      (i) => ({ hang: hangs(i) }),
      LOAD,
      async () => {},
    );
    const t = await report("handler hangs past glia.timeout for 1 in 200", { endpoint: endpoint("hangs"), ...sent });
    assert.equal(t.failed, LOAD / 200);
    assert.equal(t.completed, LOAD - LOAD / 200);
    assert.deepEqual(new Set(t.errors.values()), new Set(["Timeout"]), "the hung requests fail with Timeout");
  });

  it("the queue limit reached under load", async () => {
    const runsFile = join(dataDir, "runs-limited.txt");
    const ids: string[] = [];
    let refused = 0;
    await inPool([...Array(LOAD).keys()], async (i) => {
      const res = await postJson(endpoint("limited"), { i, runs: runsFile, sleep: 0.005 });
      if (res?.status === 200) return void ids.push(String(res.body["id"]));
      assert.equal(res?.status, 429, JSON.stringify(res?.body));
      assert.ok(Number(res!.headers.get("retry-after")) > 0, "a 429 says when to try again");
      refused++;
    });
    const notes = { "refused with 429": refused, accepted: ids.length };
    const t = await report("queue limit (50) reached", {
      endpoint: endpoint("limited"),
      ids,
      runsFile,
      sent: LOAD,
      notes,
    });
    assert.ok(refused > 0, "32 clients against a 50-deep queue and a 5 ms handler reach the limit");
    assert.equal(t.completed, ids.length);
  });

  it("restart the whole platform mid-load", async () => {
    const sent = await send(
      "faults",
      "restart",
      () => ({ sleep: 0.01 }),
      LOAD / 2,
      async () => {},
    );
    await platform.stop(0); // running requests go back to the queue
    platform = await start();
    const t = await report("restart the platform", { endpoint: endpoint("faults"), ...sent });
    assert.equal(t.completed, LOAD);
  });
});
