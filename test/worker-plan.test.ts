// A worker is started from one plan: `glia up`'s reconciler sends it over the worker's IPC channel
// and `glia worker` (a cluster's pods) builds it from flags. Here both run against a plain
// nats-server with `glia deploy` and `glia gateway` in front, as a cluster's pods do.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, stopClis, type RunningCli } from "./support/cli.ts";
import { startTestNats, type TestNats } from "./support/nats.ts";
import { FIXTURES } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";
import { createLogger } from "../control-plane/observability/index.ts";
import {
  CapacityLedger,
  checkWorkerPlan,
  leaseBroker,
  loadWorkerSpec,
  WorkerProcess,
  type WorkerPlan,
} from "../control-plane/platform/index.ts";
import { freePort } from "./support/ports.ts";
import { setTimeout as sleep } from "node:timers/promises";

const PYTHON = join(process.cwd(), ".venv", "bin", "python"); // has the runtime's requirements (grpcio, protobuf)

describe("a worker started from its plan", { timeout: 300_000 }, () => {
  let nats: TestNats;
  let gateway: RunningCli;
  let base: string;
  const started: RunningCli[] = [];

  before(async () => {
    nats = await startTestNats();
    const deployed = runCli(["deploy", join(FIXTURES, "plan-echo"), "--nats-url", nats.url]);
    assert.equal(await deployed.exited, 0, deployed.stderr.join("\n"));
    const port = await freePort();
    gateway = runCli(["gateway", "--nats-url", nats.url, "--port", String(port), "--internal-port", "0"]);
    started.push(gateway);
    await gateway.waitForLine(/glia gateway is serving/);
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await stopClis(started);
    await nats?.stop();
  });

  /** A plan for the plan-echo fixture on the test's NATS; `changes` replace its fields (durations merged). */
  function echoPlan(
    spec: WorkerPlan["spec"],
    changes: Partial<Omit<WorkerPlan, "durations">> & {
      durations?: Partial<WorkerPlan["durations"]>;
    } = {},
  ): WorkerPlan {
    const { durations, ...rest } = changes;
    return {
      spec,
      projectDir: join(FIXTURES, "plan-echo"),
      python: PYTHON,
      nats: { url: nats.url, credentials: null, replicas: 1, provisioned: false },
      gpus: null,
      chainAddress: null,
      runAs: null,
      modelStore: null,
      logLevel: "warn",
      ...rest,
      durations: {
        requestTimeoutMs: null,
        ackWaitMs: null,
        resultTtlMs: null,
        autoscaleTickMs: 10_000,
        stopGraceMs: 5_000,
        ...durations,
      },
    };
  }

  it("glia worker builds it from its flags and serves the API until SIGTERM", async () => {
    const worker = runCli([
      "worker",
      "--project",
      join(FIXTURES, "plan-echo"),
      "--api",
      "plan-echo",
      "--nats-url",
      nats.url,
      "--python",
      PYTHON,
      "--grace",
      "5",
    ]);
    started.push(worker);
    await worker.waitForStdout(/worker ready/, 120_000);
    const done = await waitFor(
      `${base}/plan-echo`,
      await submit(`${base}/plan-echo`, "{}", "application/json"),
      isFinal,
    );
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.deepEqual(done.body["result"], {
      config: { source: "cortex.yaml" },
      types: { source: "str" },
      plan_only: null,
    });
    worker.child.kill("SIGTERM");
    assert.equal(await worker.exited, 0, worker.stderr.join("\n"));
  });

  it("a setting reaches the Python process through the plan alone, with its JSON types", async () => {
    // The plan's spec says what no file and no flag says: the handler must see exactly this.
    const fromFile = await loadWorkerSpec(join(FIXTURES, "plan-echo"), "plan-echo");
    const config = { source: "plan", count: 3, ratio: 0.5, whole: 2.0, nested: { list: [1, "a", null] } };
    const plan = echoPlan(
      { ...fromFile, handler: { ...fromFile.handler, config, env: { PLAN_ONLY: "yes" } } },
      { durations: { requestTimeoutMs: 60_000 } },
    );
    const worker = new WorkerProcess({ plan, logger: createLogger({ level: "warn" }) });
    await worker.start();
    try {
      const url = `${base}/plan-echo`;
      const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      assert.deepEqual(done.body["result"], {
        config,
        // 2.0 is the JSON number 2, an int in Python as it is when cortex.yaml says 2.
        types: { source: "str", count: "int", ratio: "float", whole: "int", nested: "dict" },
        plan_only: "yes",
      });
    } finally {
      await worker.stop(5_000);
    }
  });

  it("a plan that does not fit is refused before anything starts, every problem named", async () => {
    const spec = await loadWorkerSpec(join(FIXTURES, "plan-echo"), "plan-echo");
    const plan = {
      spec: { ...spec, name: "Not A Name" },
      projectDir: join(FIXTURES, "plan-echo"),
      python: PYTHON,
      nats: { url: nats.url, credentials: null, replicas: 0, provisioned: false },
      durations: { requestTimeoutMs: -1, ackWaitMs: null, resultTtlMs: null, stopGraceMs: 5_000 },
      gpus: null,
      chainAddress: null,
      runAs: null,
      modelStore: null,
      logLevel: "warn",
    } as unknown as WorkerPlan;
    const worker = new WorkerProcess({ plan, logger: createLogger({ level: "silent" }) });
    await assert.rejects(worker.start(), (err: Error) => {
      assert.match(err.message, /nats\.replicas/);
      assert.match(err.message, /durations\.requestTimeoutMs/);
      return true;
    });
    await worker.stop(1_000);
  });

  it("a plan's leases (glia up) are checked: never with --gpus as well, never more than init_replicas, devices by id", async () => {
    const spec = await loadWorkerSpec(join(FIXTURES, "plan-echo"), "plan-echo");
    const plan = echoPlan(spec);
    const one = { initial: [{ id: "L1", devices: ["0"] }], exclusive: true };
    assert.equal(checkWorkerPlan(plan).leases, null, "a pod's plan has none");
    assert.deepEqual(checkWorkerPlan({ ...plan, leases: one }).leases, one);
    assert.throws(() => checkWorkerPlan({ ...plan, gpus: [["0"]], leases: one }), /gives both gpus and leases/);
    const two = { initial: [...one.initial, { id: "L2", devices: ["1"] }], exclusive: true };
    assert.throws(
      () => checkWorkerPlan({ ...plan, leases: two }),
      /starts 2 leased runtime\(s\) but plan-echo starts at most 1/,
    );
    const bad = { initial: [{ id: "L1", devices: ["0;rm -rf"] }], exclusive: true };
    assert.throws(() => checkWorkerPlan({ ...plan, leases: bad }), /leases\.initial\.0\.devices\.0/);
  });

  it("a worker process of glia up leases its runtimes, and all it holds goes back when it dies", async () => {
    const fromFile = await loadWorkerSpec(join(FIXTURES, "plan-echo"), "plan-echo");
    const spec = { ...fromFile, compute: { ...fromFile.compute, gpu: 1 } };
    const ledger = new CapacityLedger({ gpus: ["7"], cpuMillis: 4_000 });
    const logger = createLogger({ level: "silent" }); // the restart after the kill is logged as an error
    const plan = echoPlan(spec, { durations: { autoscaleTickMs: 200 } });
    const worker = new WorkerProcess({ plan, logger, leases: leaseBroker(ledger, spec, logger) });
    const until = async (what: string, done: () => boolean): Promise<void> => {
      for (const deadline = Date.now() + 30_000; !done(); await sleep(50))
        assert.ok(Date.now() < deadline, `gave up waiting: ${what}`);
    };
    await worker.start();
    try {
      assert.deepEqual(worker.leases(), [{ id: "L1", devices: ["7"] }]);
      const url = `${base}/plan-echo`;
      const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      process.kill(worker.pid!, "SIGKILL");
      await until("the dead worker's GPU is given back", () => ledger.leases("plan-echo#1").length === 0);
      await until("the restarted worker leases it again", () => worker.leases()[0]?.devices[0] === "7");
      assert.equal(ledger.leases("plan-echo#2").length, 1);
    } finally {
      await worker.stop(5_000);
    }
    assert.deepEqual(ledger.leases("plan-echo#2"), [], "a stopped worker holds nothing");
  });
});
