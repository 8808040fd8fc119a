/**
 * Fault injection: a gateway (`glia gateway`, its own process) is killed with SIGKILL while POSTs
 * are in flight, and another takes its place. A POST that got an id must end; one whose
 * connection was cut got no promise (a client sends it again, as this one does).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Platform } from "../control-plane/platform/index.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";
import { runCli, type RunningCli } from "./support/cli.ts";
import { inPool, LOAD, postJson, report, upOn } from "./support/fault-load.ts";

describe("a gateway killed while POSTs are in flight", { timeout: 300_000 }, () => {
  let nats: TestNats;
  let dataDir: string;
  let platform: Platform;
  const gateways: RunningCli[] = [];

  /** Starts `glia gateway` on a free port and returns its public URL. */
  async function startGateway(): Promise<string> {
    const gateway = runCli(["gateway", "--nats-url", nats.url, "--port", "0", "--internal-port", "0"]);
    gateways.push(gateway);
    const [, url] = await gateway.waitForLine(/serving on (http:\/\/\S+)/, 60_000);
    return url!;
  }

  before(async () => {
    nats = await startTestNats();
    dataDir = await mkdtemp(join(tmpdir(), "glia-gateway-kill-"));
    // The workers (and a gateway this test only reads results through) run in this process.
    platform = await upOn(nats.url, dataDir, ["fault-load"]);
  });
  after(async () => {
    for (const g of gateways) g.child.kill("SIGKILL");
    await platform?.stop(1_000);
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("loses no request that got an id", async () => {
    const runsFile = join(dataDir, "runs.txt");
    let gateway = await startGateway();
    let replacing: Promise<string> | null = null;
    const ids: string[] = [];
    let cut = 0;
    await inPool([...Array(LOAD).keys()], async (i) => {
      if (i === Math.floor(LOAD / 3)) {
        gateways.at(-1)!.child.kill("SIGKILL");
        replacing = startGateway();
      }
      for (;;) {
        const res = await postJson(`${gateway}/faults`, { i, runs: runsFile, sleep: 0.002 });
        if (res?.status === 200) return void ids.push(String(res.body["id"]));
        assert.equal(res, null, `only a cut connection fails a POST: ${JSON.stringify(res?.body)}`);
        cut++; // no answer, so no id: send it again once the new gateway is up
        gateway = await replacing!;
      }
    });
    // A cut POST may have been queued before the cut: it runs under an id its client never saw.
    const known = new Set(ids);
    const runs = (await readFile(runsFile, "utf8")).split("\n").filter(Boolean);
    const unseen = new Set(runs.filter((id) => !known.has(id))).size;
    const notes = { "connections cut (sent again)": cut, "got an id": ids.length, "ran without an id": unseen };
    const t = await report("kill -9 the gateway", { endpoint: `${platform.url}/faults`, ids, runsFile, notes });
    assert.ok(cut > 0, "the kill cut POSTs in flight");
    assert.equal(t.completed, LOAD);
  });
});
