import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ChildExitedError, startChild, Supervisor } from "./index.ts";
import type { ExitStatus } from "./errors.ts";
import type { SupervisorOptions } from "./supervisor.ts";

const T = { timeout: 20_000 };

/**
 * A child that counts its starts in `file` and, by `plan[start - 1]` (the last entry for the
 * rest): "crash" exits 1 once ready, "fail" exits 2 before it is ready, "hang" never becomes
 * ready, "serve" is ready and stays.
 */
const SCRIPT = `const fs = require("node:fs");
  const [file, plan] = [process.argv[1], process.argv[2].split(",")];
  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0) + 1;
  fs.writeFileSync(file, String(n));
  const what = plan[Math.min(n, plan.length) - 1];
  if (what === "fail") process.exit(2);
  if (what !== "hang") console.log("ready");
  if (what === "crash") process.exit(1);
  setInterval(() => {}, 1000);`;

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), "glia-supervisor-"))));
after(() => rm(dir, { recursive: true, force: true }));

/** What a supervisor saw, and a way to await a state of it. */
class Recorder {
  readonly exits: Array<{ status: ExitStatus; restartInMs: number }> = [];
  readonly failures: Array<{ err: unknown; retryInMs: number }> = [];
  readonly spawned: ChildProcess[] = [];
  ready = 0;
  #waiting: Array<() => void> = [];

  hooks(): Pick<SupervisorOptions, "onReady" | "onExit" | "onRestartFailed"> {
    return {
      onReady: () => this.#changed(() => this.ready++),
      onExit: (status, restartInMs) => this.#changed(() => this.exits.push({ status, restartInMs })),
      onRestartFailed: (err, retryInMs) => this.#changed(() => this.failures.push({ err, retryInMs })),
    };
  }

  /** Resolves once `check` holds, checked again after every hook call. */
  until(check: (rec: this) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const test = (): void => (check(this) ? resolve() : void this.#waiting.push(test));
      test();
    });
  }

  #changed(record: () => unknown): void {
    record();
    const waiting = this.#waiting;
    this.#waiting = [];
    waiting.forEach((test) => test());
  }
}

let runs = 0;

/** A supervisor of {@link SCRIPT} children following `plan`, with a short back-off. */
function supervised(plan: string, backoff: SupervisorOptions["backoff"], rec: Recorder): Supervisor {
  const counter = join(dir, `starts-${++runs}`);
  return new Supervisor({
    start: (signal) =>
      startChild({
        command: process.execPath,
        args: ["-e", SCRIPT, counter, plan],
        stdio: ["ignore", "pipe", "inherit"],
        signal,
        onSpawn: (c) => rec.spawned.push(c),
        ready: (c, done) =>
          new Promise((resolve, reject) => {
            createInterface({ input: c.stdout! }).on("line", (line) => line === "ready" && resolve());
            done.addEventListener("abort", () => reject(new Error("given up")), { once: true });
          }),
      }),
    backoff,
    ...rec.hooks(),
  });
}

const crashed: ExitStatus = { code: 1, signal: null };

describe("Supervisor", () => {
  it("restarts a child that crashes, waiting first, then twice as long, up to the maximum", T, async () => {
    const rec = new Recorder();
    const sup = supervised("crash,crash,crash,crash,serve", { firstMs: 10, maxMs: 40, healthyResetMs: 60_000 }, rec);
    await sup.start();
    await rec.until((r) => r.ready === 5);
    assert.deepEqual(
      rec.exits,
      [10, 20, 40, 40].map((restartInMs) => ({ status: crashed, restartInMs })),
    );
    assert.equal(sup.child!.running, true);
    await sup.stop(5_000);
    assert.equal(sup.child!.running, false);
    assert.equal(rec.exits.length, 4, "a stop is no crash: nothing restarted");
  });

  it("counts from the first delay again after a child that ran for healthyResetMs", T, async () => {
    const rec = new Recorder();
    const sup = supervised("crash,crash,crash,serve", { firstMs: 10, maxMs: 40, healthyResetMs: 0 }, rec);
    await sup.start();
    await rec.until((r) => r.ready === 4);
    assert.deepEqual(
      rec.exits.map((e) => e.restartInMs),
      [10, 10, 10],
    );
    await sup.stop(5_000);
  });

  it("keeps trying when a restart fails, with back-off, and reports each failure", T, async () => {
    const rec = new Recorder();
    const sup = supervised("serve,fail,fail,serve", { firstMs: 10, maxMs: 1_000, healthyResetMs: 60_000 }, rec);
    const first = await sup.start();
    sup.kill(); // as a pool kills a runtime whose handler ran past its deadline
    await rec.until((r) => r.ready === 2);
    assert.deepEqual(rec.exits, [{ status: { code: null, signal: "SIGKILL" }, restartInMs: 10 }]);
    assert.deepEqual(
      rec.failures.map((f) => f.retryInMs),
      [20, 40],
    );
    for (const { err } of rec.failures) {
      assert.ok(err instanceof ChildExitedError);
      assert.deepEqual(err.status, { code: 2, signal: null });
    }
    assert.notEqual(sup.pid, first.pid);
    await sup.stop(5_000);
  });

  it("rejects a first start that fails and restarts nothing", T, async () => {
    const rec = new Recorder();
    const sup = supervised("fail,serve", { firstMs: 1 }, rec);
    await assert.rejects(sup.start(), (err: unknown) => err instanceof ChildExitedError && err.status.code === 2);
    assert.equal(rec.spawned.length, 1);
    await sup.stop(5_000);
    assert.equal(rec.spawned.length, 1);
  });

  it("stop does not wait out a back-off under way, and starts nothing after it", T, async () => {
    const rec = new Recorder();
    // A minute's wait before the restart: stop would hang past the test's timeout if it waited.
    const sup = supervised("crash,serve", { firstMs: 60_000 }, rec);
    await sup.start();
    await rec.until((r) => r.exits.length === 1); // crashed: the minute's wait is under way
    await sup.stop(5_000);
    assert.equal(rec.spawned.length, 1);
  });

  it("stop gives up a restart still starting, killing that child", T, async () => {
    const rec = new Recorder();
    let restarted!: () => void;
    const spawnedAgain = new Promise<void>((resolve) => (restarted = resolve));
    const sup = new Supervisor({
      start: (signal) =>
        startChild({
          command: process.execPath,
          args: ["-e", rec.spawned.length === 0 ? `process.exit(1)` : `setInterval(() => {}, 1000)`],
          signal,
          onSpawn: (c) => {
            rec.spawned.push(c);
            if (rec.spawned.length === 2) restarted();
          },
          // The first is ready at once and exits; the second never becomes ready.
          ready: (c, done) =>
            rec.spawned.length === 1
              ? Promise.resolve()
              : new Promise((_, reject) => done.addEventListener("abort", () => reject(new Error("given up")))),
        }),
      backoff: { firstMs: 1 },
      ...rec.hooks(),
    });
    await sup.start();
    await spawnedAgain;
    await sup.stop(5_000);
    assert.equal(rec.spawned[1]!.signalCode, "SIGKILL");
    assert.equal(rec.ready, 1);
  });
});
