// Autoscaling on the real stack: glia up with a 0.5 s autoscaler tick (Cortex's is 10 s), an API
// that a burst of slow requests scales from 1 to max_replicas and back, and one at min_replicas 0
// that holds no runtime when idle and wakes at its first request.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiRegistry, type ApiStatus } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";
import { repeatedRuns } from "./support/fault-load.ts";
import { platformState, runCli } from "./support/cli.ts";

const TICK_MS = 500;

describe("the autoscaler on glia up", { timeout: 300_000 }, () => {
  let stack: TestPlatform;
  let registry: ApiRegistry;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-autoscale-"));
    stack = await startPlatform(["autoscale"], { autoscaleTickMs: TICK_MS });
    registry = await ApiRegistry.open(stack.platform.nc);
  });
  after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The API's status each time it is read, every 100 ms, until `done` says stop (bounded). */
  async function follow(api: string, done: (s: ApiStatus) => boolean, seen: ApiStatus[], limitMs: number) {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const status = await registry.status(api);
      if (status) seen.push(status);
      if (status && done(status)) return status;
      assert.ok(Date.now() < deadline, `${api}: gave up after ${limitMs} ms; last status ${JSON.stringify(status)}`);
      await sleep(100);
    }
  }

  it("scales a burst of slow requests from 1 to max_replicas, and back to min_replicas when it ends", async () => {
    const url = stack.url("scaled");
    const runs = join(dir, "scaled-runs");
    const ids = await Promise.all(
      Array.from({ length: 24 }, (_, i) => submit(url, JSON.stringify({ runs, i, sleep: 1 }), "application/json")),
    );
    const seen: ApiStatus[] = [];
    await follow("scaled", (s) => (s.ready ?? 0) >= 3, seen, 60_000);
    const results = await Promise.all(ids.map((id) => waitFor(url, id, isFinal)));
    assert.deepEqual(
      results.map((r) => r.body["status"]),
      ids.map(() => "completed"),
    );
    const pids = new Set(results.map((r) => (r.body["result"] as { pid: number }).pid));
    assert.ok(pids.size >= 3, `the burst ran on ${pids.size} runtime(s)`);
    assert.equal((await repeatedRuns(runs)).repeated, 0, "no request ran twice");
    const idle = await follow("scaled", (s) => s.replicas === 1 && s.ready === 1, seen, 60_000);
    assert.equal(Math.max(...seen.map((s) => s.replicas)), 3, "never above max_replicas");
    assert.equal(idle.autoscaler?.heldBy, null);
    assert.ok(
      seen.some((s) => s.autoscaler?.reason),
      "the status says why",
    );
    const metrics = await (await fetch(`${stack.platform.url}/metrics`)).text();
    assert.match(metrics, /^glia_replicas\{api="scaled",state="requested"\} 1$/m);
    assert.match(metrics, /^glia_replicas\{api="scaled",state="ready"\} 1$/m);
    assert.match(metrics, /^glia_autoscaler_recommendation\{api="scaled"\} 1$/m);
    const cli = runCli(["get", "scaled", "-o", "json"], platformState());
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const row = JSON.parse(cli.stdoutLines.join("\n")) as Record<string, unknown>;
    assert.deepEqual([row["replicas"], row["ready"]], [1, 1]);
    const autoscaler = row["autoscaler"] as { recommendation: number; reason: string; heldBy: null };
    assert.equal(autoscaler.recommendation, 1);
    assert.equal(typeof autoscaler.reason, "string");
  });

  it("holds no runtime when idle at min_replicas 0, wakes at the first request, and goes back to zero", async () => {
    const url = stack.url("to-zero");
    const seen: ApiStatus[] = [];
    await follow("to-zero", (s) => s.replicas === 0 && s.ready === 0, seen, 30_000);
    const runs = join(dir, "to-zero-runs");
    const started = performance.now();
    const id = await submit(url, JSON.stringify({ runs, i: 0 }), "application/json");
    const done = await waitFor(url, id, isFinal);
    const coldMs = performance.now() - started;
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    console.log(`# cold start of fixtures/autoscale to-zero (accepted → result): ${Math.round(coldMs)} ms`);
    await follow("to-zero", (s) => s.replicas === 0 && s.ready === 0, seen, 60_000);
  });
});

describe("the machine's CPUs on glia up", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["cpu-leases"], { autoscaleTickMs: TICK_MS });
  });
  after(async () => stack?.stop());

  it("runs no more runtimes than the cores hold at compute.cpu each, but always one, and says why", async () => {
    const registry = await ApiRegistry.open(stack.platform.nc);
    let status: ApiStatus | null = null;
    for (const deadline = Date.now() + 10_000; !status?.autoscaler?.recommendation; await sleep(100)) {
      assert.ok(Date.now() < deadline, `no recommendation yet: ${JSON.stringify(status)}`);
      status = await registry.status("cpu-bound");
    }
    assert.equal(status.autoscaler.recommendation, 2);
    assert.equal(status.replicas, 1, "min_replicas is 2, but one runtime takes more than all the cores");
    const held = /^this machine's \d+(\.\d+)? CPUs? (is|are) all leased \(cpu-bound: 1000\)$/;
    assert.match(status.autoscaler.heldBy ?? "", held);
    const url = stack.url("cpu-bound");
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const cli = runCli(["get", "cpu-bound", "-o", "json"], platformState());
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const row = JSON.parse(cli.stdoutLines.join("\n")) as { replicas: number; autoscaler?: { heldBy: string } };
    assert.equal(row.replicas, 1);
    assert.match(row.autoscaler?.heldBy ?? "", held);
  });
});
