/**
 * RuntimePool.resize on real Python runtimes over real gRPC (test/fixtures/pool-resize): the pool
 * grows and shrinks while it serves, never cutting a running request. Requests are held by a
 * gate (a Unix socket each running request connects to, and returns once the test closes it), so
 * every "while it runs" below is an event, not a guess about timing.
 */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger } from "../control-plane/observability/index.ts";
import { RUNTIME_ROOT, type RuntimeLaunch, type RuntimeLease } from "../control-plane/runtime/index.ts";
import {
  RuntimePool,
  RuntimePoolResizeError,
  RuntimePoolStoppedError,
  type RuntimePoolCounts,
} from "../control-plane/runtime/pool.ts";

const T = { timeout: 90_000 };
const PYTHON = fileURLToPath(new URL("../.venv/bin/python", import.meta.url));
const FIXTURE = fileURLToPath(new URL("fixtures/pool-resize/", import.meta.url));

/** What the pool logged, as parsed JSON lines (all tests; each test's API name tells them apart). */
const logged: Array<Record<string, unknown>> = [];
const logger = createLogger({
  level: "info",
  destination: new Writable({
    write(chunk: Buffer, _encoding, done): void {
      logged.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  }),
});

const scratch = await mkdtemp(join(tmpdir(), "glia-pool-test-"));
after(() => rm(scratch, { recursive: true, force: true }));

const pools: RuntimePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop(1_000)));
});

function launchOf(name: string, extra: Partial<RuntimeLaunch> = {}): RuntimeLaunch {
  return {
    api: `pool-${name}-${process.pid}`,
    python: PYTHON,
    runtimeRoot: RUNTIME_ROOT,
    projectDir: FIXTURE,
    handler: { type: "python", path: "handler.py", config: {}, pythonPath: null, logLevel: "info", models: null },
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    logger,
    startupTimeoutMs: 60_000,
    ...extra,
  };
}

async function started(launch: RuntimeLaunch, replicas: number): Promise<RuntimePool> {
  const pool = new RuntimePool(launch, replicas);
  pools.push(pool);
  await pool.start();
  return pool;
}

/** Where running requests wait until {@link Gate.letGo}; each one connects on arrival. */
class Gate {
  readonly path: string;
  readonly #server: Server;
  readonly #held: Socket[] = [];

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
    server.on("connection", (socket) => this.#held.push(socket));
  }

  static async open(name: string): Promise<Gate> {
    const path = join(scratch, `${name}.sock`);
    const server = createServer();
    server.listen(path);
    await once(server, "listening");
    after(() => server.close());
    return new Gate(path, server);
  }

  /** Resolves once `count` requests are running in their handlers. */
  async running(count: number): Promise<void> {
    while (this.#held.length < count) await once(this.#server, "connection");
  }

  /** Lets every held request return. */
  letGo(): void {
    this.#held.splice(0).forEach((socket) => socket.end());
  }
}

interface Answer {
  pid: number;
  devices: string | null;
}

/** One request on a lent runtime; `gate` holds it in the handler until the gate lets go. */
async function call(lease: RuntimeLease, gate?: Gate): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(gate ? { gate: gate.path } : {}));
  const response = await lease.client.handle(
    { requestId: `r-${lease.replica}`, payload, contentType: "application/json", headers: {}, attempt: 1 },
    60_000,
  );
  assert.equal(response.outcome, "resultJson", JSON.stringify(response.failure));
  return JSON.parse(response.resultJson!.toString("utf8")) as Answer;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** The runtime processes of an API still running, found by the spec folder on their command line. */
async function runtimeProcesses(api: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("glia_runtime") && cmdline.includes(`/glia-${api}-`)) found.push(Number(entry));
  }
  return found;
}

const counts = (c: Partial<RuntimePoolCounts>): RuntimePoolCounts => ({
  requested: 0,
  starting: 0,
  ready: 0,
  busy: 0,
  draining: 0,
  ...c,
});

describe("RuntimePool.resize", T, () => {
  it("grows 1 → 3: the new runtimes serve, all three at once, with replica indices of their own", T, async () => {
    const pool = await started(launchOf("grow"), 1);
    const resizing = pool.resize(3);
    assert.deepEqual(pool.counts(), counts({ requested: 3, starting: 2, ready: 1 }));
    await resizing;
    assert.deepEqual(pool.counts(), counts({ requested: 3, ready: 3 }));

    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    assert.deepEqual(leases.map((l) => l.replica).sort(), [0, 1, 2]);
    assert.deepEqual(pool.counts(), counts({ requested: 3, busy: 3 }));
    const gate = await Gate.open("grow");
    const answers = leases.map((lease) => call(lease, gate));
    await gate.running(3); // three handlers running at the same time
    gate.letGo();
    const pids = (await Promise.all(answers)).map((a) => a.pid);
    assert.deepEqual([...pids].sort(), [...pool.pids()].sort(), "each request ran on its own runtime");
    leases.forEach((lease) => lease.release());
    assert.deepEqual(pool.counts(), counts({ requested: 3, ready: 3 }));
  });

  it(
    "shrinks 3 → 1 while two requests run: the idle runtime stops, the busy ones finish, and only then does the drained one exit",
    T,
    async () => {
      const pool = await started(launchOf("shrink"), 3);
      const [idlePid] = pool.pids().slice(2) as [number];
      const leases = [await pool.acquire(), await pool.acquire()];
      const gate = await Gate.open("shrink");
      const answers = leases.map((lease) => call(lease, gate));
      await gate.running(2);

      assert.deepEqual(pool.replicas().sort(), [0, 1, 2]);
      await pool.resize(1);
      assert.equal(alive(idlePid), false, "the idle runtime was stopped first");
      assert.deepEqual(pool.counts(), counts({ requested: 1, busy: 1, draining: 1 }));
      assert.deepEqual(pool.replicas().sort(), [0, 1], "the draining runtime still holds its index (and devices)");
      const [kept] = pool.pids() as [number];

      let waiting: RuntimeLease | null = null;
      const next = pool.acquire().then((lease) => (waiting = lease));
      gate.letGo();
      const done = await Promise.all(answers);
      assert.deepEqual(
        done.map((a) => a.pid),
        [kept, done[1]!.pid],
        "both requests completed; the newest busy runtime (replica 1) is the one drained",
      );
      const [keptLease, drainedLease] = leases as [RuntimeLease, RuntimeLease];
      const drainedPid = done[1]!.pid;
      assert.equal(alive(drainedPid), true, "the drained runtime outlives its request until its lease is released");

      drainedLease.release();
      await pool.drained();
      assert.equal(alive(drainedPid), false, "the drained runtime exited once released");
      assert.deepEqual(pool.replicas(), [0]);
      assert.equal(waiting, null, "a drained runtime is never lent again");
      assert.deepEqual(pool.counts(), counts({ requested: 1, busy: 1 }));

      keptLease.release();
      assert.equal((await next).replica, 0);
      assert.deepEqual(await runtimeProcesses(launchOf("shrink").api), [kept]);
    },
  );

  it("scales 1 → 0, and an acquire waiting meanwhile is served once it grows 0 → 1", T, async () => {
    const launch = launchOf("zero");
    const pool = await started(launch, 1);
    const [first] = pool.pids() as [number];
    await pool.resize(0);
    assert.equal(alive(first), false);
    assert.deepEqual(pool.counts(), counts({ requested: 0 }));
    assert.deepEqual(await runtimeProcesses(launch.api), []);

    const aborted = new AbortController();
    const gaveUp = pool.acquire(aborted.signal);
    aborted.abort(new Error("the caller gave up"));
    await assert.rejects(gaveUp, /the caller gave up/);

    const waiting = pool.acquire();
    await pool.resize(1);
    const lease = await waiting;
    assert.equal(lease.replica, 0);
    assert.notEqual((await call(lease)).pid, first);
    lease.release();
  });

  it("concurrent resizes settle on the last target; runtimes given up while starting are stopped", T, async () => {
    const launch = launchOf("concurrent");
    const pool = await started(launch, 1);
    await Promise.all([pool.resize(3), pool.resize(2), pool.resize(4), pool.resize(2)]);
    assert.deepEqual(pool.counts(), counts({ requested: 2, ready: 2 }));
    assert.deepEqual((await runtimeProcesses(launch.api)).sort(), [...pool.pids()].sort());
    const leases = [await pool.acquire(), await pool.acquire()];
    assert.deepEqual(leases.map((l) => l.replica).sort(), [0, 1]);
    leases.forEach((l) => l.release());
  });

  it(
    "a grow whose new runtimes cannot load the handler rejects, logs them and leaves the others serving",
    T,
    async () => {
      const marker = join(scratch, "fail-init");
      const launch = launchOf("fail", {
        handler: { ...launchOf("fail").handler, config: { fail_marker: marker } },
      });
      const pool = await started(launch, 1);
      await writeFile(marker, "");
      await assert.rejects(pool.resize(3), { code: "HANDLER_LOAD_FAILED", message: /made to fail at start/ });
      assert.deepEqual(pool.counts(), counts({ requested: 3, ready: 1 }), "the failed runtimes are not counted");
      const failures = logged.filter(
        (l) =>
          l["api"] === launch.api && l["msg"] === "runtime added to the pool could not start; the pool runs without it",
      );
      assert.deepEqual(failures.map((l) => l["replica"]).sort(), [1, 2], JSON.stringify(failures));
      assert.deepEqual(await runtimeProcesses(launch.api), pool.pids());

      const lease = await pool.acquire();
      assert.equal((await call(lease)).pid, pool.pids()[0], "the runtime that was there serves on");
      lease.release();

      await rm(marker);
      await pool.resize(3);
      assert.deepEqual(pool.counts(), counts({ requested: 3, ready: 3 }));
    },
  );

  it(
    "a crash while draining does not restart the runtime; a runtime added meanwhile gets another index",
    T,
    async () => {
      const launch = launchOf("crash");
      const pool = await started(launch, 1);
      const lease = await pool.acquire();
      const gate = await Gate.open("crash");
      const answer = call(lease, gate);
      await gate.running(1);
      await pool.resize(0);
      await pool.resize(1);
      assert.deepEqual(pool.counts(), counts({ requested: 1, ready: 1, draining: 1 }));
      const other = await pool.acquire();
      assert.equal(other.replica, 1, "replica 0 is still draining");
      other.release();

      const [victim] = (await runtimeProcesses(launch.api)).filter((pid) => !pool.pids().includes(pid)) as [number];
      process.kill(victim, "SIGKILL");
      await assert.rejects(answer);
      await pool.drained(); // before the lease is released: its crash ended the drain
      const lines = logged.filter((l) => l["api"] === launch.api && l["replica"] === 0).map((l) => l["msg"]);
      assert.ok(lines.includes("draining runtime exited; it is not restarted"), JSON.stringify(lines));
      assert.ok(!lines.includes("runtime exited; restarting it"), JSON.stringify(lines));
      lease.release();
      assert.deepEqual(await runtimeProcesses(launch.api), pool.pids());
      assert.deepEqual(pool.counts(), counts({ requested: 1, ready: 1 }));
    },
  );

  it("gives each added runtime its devices, and refuses a grow past the launch's devices without them", T, async () => {
    const pool = await started(launchOf("devices", { devices: [["0"]] }), 1);
    await assert.rejects(pool.resize(2), RuntimePoolResizeError);
    await assert.rejects(pool.resize(3, [["5"]]), /devices lists 1 runtimes but 2 are added/);
    await assert.rejects(pool.resize(-1), RuntimePoolResizeError);
    await assert.rejects(pool.resize(1.5), RuntimePoolResizeError);
    assert.deepEqual(pool.counts(), counts({ requested: 1, ready: 1 }), "a refused resize changes nothing");

    await pool.resize(2, [["5", "6"]]);
    const leases = [await pool.acquire(), await pool.acquire()];
    const devices = await Promise.all(leases.map(async (l) => [l.replica, (await call(l)).devices]));
    assert.deepEqual(devices.sort(), [
      [0, "0"],
      [1, "5,6"],
    ]);
    leases.forEach((l) => l.release());
  });

  it("a stop during a grow stops every runtime, those still starting too; a later resize is refused", T, async () => {
    const launch = launchOf("stop");
    const pool = await started(launch, 1);
    const spawned = new Set<number>();
    const bothSpawned = new Promise<void>((resolve) => {
      launch.onLine = ({ replica }): void => {
        if (replica > 0) spawned.add(replica);
        if (spawned.size === 2) resolve();
      };
    });
    const growing = pool.resize(3);
    await bothSpawned; // the new runtimes are running, loading the handler
    await pool.stop(1_000);
    await growing;
    assert.deepEqual(await runtimeProcesses(launch.api), []);
    assert.deepEqual(pool.counts(), counts({ requested: 0 }));
    await assert.rejects(pool.resize(1), RuntimePoolStoppedError);
  });
});
