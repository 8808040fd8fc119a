/**
 * Fault injection under load: each case sends at least a thousand requests, injects a fault, then
 * prints one summary line (sent, completed, failed with a reason, lost, processed more than once)
 * and fails if any request that got an id was lost.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadProject } from "../control-plane/config/index.ts";
import { up, type Platform } from "../control-plane/platform/index.ts";
import { silentLogger } from "../control-plane/observability/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";
import { FIXTURES } from "./support/platform.ts";
import { get, post } from "./support/http.ts";

const N = 1000;
const AT_A_THIRD = Math.floor(N / 3);
const CONCURRENCY = 32;

interface Tally {
  completed: number;
  failed: number;
  lost: string[];
}

async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe("fault injection under load", { timeout: 600_000 }, () => {
  let nats: TestNats;
  let dataDir: string;
  let platform: Platform;
  let runs: string;

  const start = async (): Promise<Platform> => {
    const project = await loadProject(resolve(FIXTURES, "fault-load"));
    process.env["GLIA_STATE_FILE"] ??= join(dataDir, "state.json");
    return up({
      projects: [project],
      logger: silentLogger(),
      port: 0,
      internalPort: 0,
      natsUrl: nats.url,
      dataDir,
      ackWaitMs: 2_000,
    });
  };

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

  /** Sends N requests; `fault` runs once `faultAt` of them have been accepted. Returns the ids. */
  async function send(
    name: string,
    extra: Record<string, unknown>,
    faultAt: number,
    fault: () => Promise<void>,
  ): Promise<string[]> {
    runs = join(dataDir, `runs-${name}.txt`);
    const ids: string[] = [];
    let faulted: Promise<void> | null = null;
    await pool([...Array(N).keys()], async (i) => {
      const res = await post(`${platform.url}/faults`, JSON.stringify({ i, runs, ...extra }), "application/json");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids.push(String(res.body["id"]));
      if (ids.length === faultAt) faulted = fault();
    });
    await faulted;
    return ids;
  }

  async function tally(ids: string[]): Promise<Tally> {
    const t: Tally = { completed: 0, failed: 0, lost: [] };
    await pool(ids, async (id) => {
      let status = "";
      for (let tries = 0; tries < 4 && status !== "completed" && status !== "failed"; tries++) {
        const res = await get(`${platform.url}/faults/${id}?wait=30`);
        status = String(res.body["status"]);
        if (status === "failed")
          assert.equal(typeof (res.body["error"] as { message?: unknown })?.message, "string", "a failure says why");
      }
      if (status === "completed") t.completed++;
      else if (status === "failed") t.failed++;
      else t.lost.push(id);
    });
    return t;
  }

  async function report(name: string, ids: string[]): Promise<Tally> {
    const t = await tally(ids);
    const lines = (await readFile(runs, "utf8")).trim().split("\n");
    const counts = new Map<string, number>();
    for (const id of lines) counts.set(id, (counts.get(id) ?? 0) + 1);
    const repeated = [...counts.values()].filter((c) => c > 1).length;
    console.log(
      `faults: ${name}: runs ${lines.length}, sent ${ids.length}, completed ${t.completed}, failed with a reason ${t.failed}, lost ${t.lost.length}, processed more than once ${repeated}`,
    );
    assert.deepEqual(t.lost, [], `${name}: requests lost`);
    return t;
  }

  it("kill -9 a worker process mid-load", async () => {
    // 50 ms a request keeps both runtimes busy, so the kill lands in the middle of requests.
    const ids = await send("kill-worker", { sleep: 0.05 }, AT_A_THIRD, async () => {
      process.kill(platform.workers.get("faults")!.pid!, "SIGKILL");
    });
    const t = await report("kill -9 worker", ids);
    assert.equal(t.completed, N);
  });

  it("kill -9 a runtime mid-load", async () => {
    const killRuntime = async (): Promise<void> => {
      const res = await post(
        `${platform.url}/faults`,
        JSON.stringify({ i: -1, runs: join(dataDir, "probe.txt") }),
        "application/json",
      );
      const done = await get(`${platform.url}/faults/${res.body["id"]}?wait=30`);
      process.kill((done.body["result"] as { pid: number }).pid, "SIGKILL");
    };
    const ids = await send("kill-runtime", { sleep: 0.05 }, N / 4, killRuntime);
    const t = await report("kill -9 runtime", ids);
    assert.equal(t.completed, N);
  });

  it("a handler that raises for some inputs", async () => {
    const ids = await send("raises", { raise_some: true }, N, async () => {});
    const t = await report("handler raises for 1 in 10", ids);
    assert.equal(t.failed, N / 10);
    assert.equal(t.completed, N - N / 10);
  });

  it("restart the whole platform mid-load", async () => {
    const ids = await send("restart", { sleep: 0.01 }, N / 2, async () => {});
    await platform.stop(0); // running requests go back to the queue
    platform = await start();
    const t = await report("restart the platform", ids);
    assert.equal(t.completed, N);
  });
});
