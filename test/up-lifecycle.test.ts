// `glia up` as a terminal runs it: in a process group of its own, stopped by one Ctrl-C (SIGINT
// to the whole group, nats-server, workers and runtimes included), and `/readyz` answering 200
// only once the APIs given on the command line take requests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CLI } from "./support/cli.ts";
import { get, isFinal, post, submit, waitFor, type Answer } from "./support/http.ts";
import { freePort } from "./support/ports.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** `glia up`'s grace period for running requests on Ctrl-C (Platform.stop's default). */
const GRACE_MS = 30_000;

describe("glia up in its own process group (as a terminal starts it)", () => {
  let dir: string;
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let url: string;
  const output: string[] = [];
  const readyz: Answer[] = [];
  let firstReady: Answer | undefined;
  let port: number;
  /** The request still running when the Ctrl-C is sent. */
  let running: string | undefined;

  /** `glia up` of two APIs in a process group of its own, as a terminal gives a command. */
  const startUp = (): { child: ChildProcess; output: string[] } => {
    const args = ["--import", "tsx", CLI, "up", join(FIXTURES, "echo-payloads"), join(FIXTURES, "slow-handler")];
    args.push("--port", String(port), "--internal-port", "0", "--data-dir", join(dir, "data"));
    const started = spawn(process.execPath, args, {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, INIT_CWD: ROOT, GLIA_STATE_FILE: join(dir, "platform.json") },
    });
    const printed: string[] = [];
    started.stdout!.on("data", (b: Buffer) => printed.push(b.toString()));
    started.stderr!.on("data", (b: Buffer) => printed.push(b.toString()));
    return { child: started, output: printed };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-up-lifecycle-"));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const first = startUp();
    child = first.child;
    output.push(...first.output);
    first.child.stdout!.on("data", (b: Buffer) => output.push(b.toString()));
    first.child.stderr!.on("data", (b: Buffer) => output.push(b.toString()));
    exited = once(child, "exit");
    // Ask /readyz from the moment anything answers until the first 200 (bounded: 600 rounds of 100 ms),
    // then submit at once: a 200 must mean a POST is taken.
    for (let round = 0; round < 600 && child.exitCode === null; round++) {
      const answer = await get(`${url}/readyz`).catch(() => null);
      if (answer) readyz.push(answer);
      if (answer?.status === 200) {
        firstReady = answer;
        break;
      }
      await sleep(100);
    }
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, "SIGKILL");
      await exited;
    }
    // A glia killed here never stops its nats-server, which runs in a group of its own.
    for (const nats of await natsServers(join(dir, "data"))) process.kill(nats.pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("answers /readyz 503 naming the APIs not routed yet, then 200, and a POST right after the 200 is accepted", async () => {
    assert.ok(firstReady, `/readyz never answered 200; glia printed:\n${output.join("")}`);
    // Both submissions go out before anything else is awaited.
    const [echo, slow] = await Promise.all([
      post(`${url}/echo`, JSON.stringify({ n: 1 }), "application/json"),
      post(`${url}/slow`, JSON.stringify({}), "application/json"),
    ]);
    assert.equal(echo.status, 200, `POST /echo right after /readyz's 200: ${JSON.stringify(echo.body)}`);
    assert.equal(slow.status, 200, `POST /slow right after /readyz's 200: ${JSON.stringify(slow.body)}`);
    assert.deepEqual(firstReady.body, { ready: true });
    const waiting = readyz.filter((a) => a.status === 503);
    assert.ok(waiting.length > 0, "the listener is up while environments are built: /readyz answered 503 first");
    for (const a of waiting) {
      assert.equal(a.body["code"], "NOT_READY");
      assert.match(String(a.body["error"]), /^not ready: /);
    }
    const named = waiting.find((a) => Array.isArray(a.body["waiting"]) && (a.body["waiting"] as string[]).length);
    assert.ok(named, `a 503 names the APIs awaited: ${JSON.stringify(waiting.map((a) => a.body))}`);
    for (const api of named.body["waiting"] as string[]) assert.ok(["echo", "slow"].includes(api), api);
    assert.match(String(named.body["error"]), /echo|slow/);
    assert.equal((await get(`${url}/healthz`)).status, 200, "/healthz is liveness and stays 200");
  });

  it("stops every process of the group and every process glia started (workers, runtimes, nats-server) on one SIGINT within the grace period", async () => {
    assert.ok(firstReady, `glia never became ready:\n${output.join("")}`);
    const ids = [
      await submit(`${url}/echo`, JSON.stringify({ n: 2 }), "application/json"),
      await submit(`${url}/slow`, JSON.stringify({}), "application/json"),
    ];
    for (const [i, id] of ids.entries()) {
      const done = await waitFor(`${url}/${i === 0 ? "echo" : "slow"}`, id, isFinal);
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    }
    const pgid = child.pid!;
    const members = await groupMembers(pgid);
    const commands = members.map((m) => m.command).join("\n");
    assert.ok(members.length >= 5, `glia, two workers and two runtimes in the group:\n${commands}`);
    assert.match(commands, /glia_runtime/);
    // nats-server has a group of its own, so the terminal's Ctrl-C does not stop it before the
    // workers have stored what they were running; glia stops it last.
    const nats = await natsServers(join(dir, "data"));
    assert.equal(nats.length, 1, "glia's nats-server runs");
    assert.ok(!members.some((m) => m.pid === nats[0]!.pid), "nats-server is outside the terminal's group");
    // Every process glia started, by pid and start time, wherever its group: a child that left
    // the group (or a nats-server that outlives glia) would escape a check of the group alone.
    const started = await descendants(pgid);
    const listed = started.map((p) => `${p.pid} ${p.command}`).join("\n");
    assert.ok(
      started.some((p) => p.pid === nats[0]!.pid),
      `the nats-server is glia's child:\n${listed}`,
    );
    const workers = started.map((p) => /\/worker-main\.ts (\S+)$/.exec(p.command)?.[1]).filter(Boolean);
    assert.deepEqual(workers.sort(), ["echo", "slow"], `one worker per API:\n${listed}`);
    const runtimes = started
      .map((p) => /glia_runtime .*glia-(\w+)-\w+\/runtime\.sock/.exec(p.command)?.[1])
      .filter(Boolean);
    assert.deepEqual(runtimes.sort(), ["echo", "slow"], `one runtime per API:\n${listed}`);
    running = await submit(`${url}/slow`, JSON.stringify({ sleep: 2 }), "application/json");
    await waitFor(`${url}/slow`, running, (s) => s === "in_progress");

    process.kill(-pgid, "SIGINT"); // one Ctrl-C, to the whole group as a terminal sends it
    const remaining = async (): Promise<Array<{ pid: number; command: string }>> => [
      ...(await groupMembers(pgid)),
      ...(await natsServers(join(dir, "data"))),
      ...(await stillRunning(started)),
    ];
    let left = await remaining();
    for (let waited = 0; waited <= GRACE_MS && left.length; waited += 100) {
      await sleep(100);
      left = await remaining();
    }
    assert.deepEqual(
      [...new Set(left.map((m) => `${m.pid} ${m.command}`))],
      [],
      `processes still running ${GRACE_MS / 1000} s after one SIGINT; glia printed:\n${output.join("").slice(-4000)}`,
    );
    assert.match(output.join(""), /glia stopped/);
    assert.doesNotMatch(output.join(""), /closing the NATS connection failed/);
  });

  it("finished the request that was running at the Ctrl-C: started again, glia has its result", async () => {
    assert.ok(running, "a request was running at the Ctrl-C");
    const again = startUp();
    try {
      let ready = false;
      for (let round = 0; round < 600 && !ready && again.child.exitCode === null; round++) {
        ready = (await get(`${url}/readyz`).catch(() => null))?.status === 200;
        if (!ready) await sleep(100);
      }
      assert.ok(ready, `glia did not start again:\n${again.output.join("")}`);
      const record = (await get(`${url}/slow/${running}`)).body;
      assert.equal(record["status"], "completed", JSON.stringify(record));
    } finally {
      if (again.child.exitCode === null) {
        const gone = once(again.child, "exit");
        process.kill(-again.child.pid!, "SIGINT");
        await gone;
      }
    }
  });
});

/** glia's nats-servers for a data folder, found by the configuration on their command line. */
async function natsServers(dataDir: string): Promise<Array<{ pid: number; command: string }>> {
  const conf = join(dataDir, "nats", "nats-server.conf");
  const found: Array<{ pid: number; command: string }> = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(conf) && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z")
      found.push({ pid: Number(name), command: cmdline.split("\0").join(" ") });
  }
  return found;
}

interface Proc {
  pid: number;
  ppid: number;
  /** Clock ticks after boot: with the pid, names the process even once its pid is reused. */
  startedAt: string;
  command: string;
}

/** A live process from /proc (null when gone or a zombie, which has exited). */
async function proc(pid: number): Promise<Proc | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (!stat) return null;
  // Fields after the command, which is in parentheses and may hold spaces: state ppid ... starttime (the 20th).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z") return null;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return { pid, ppid: Number(fields[1]), startedAt: fields[19]!, command: cmdline.split("\0").join(" ").trim() };
}

/** Every live process below `root`: its children, theirs, and so on. */
async function descendants(root: number): Promise<Proc[]> {
  const all: Proc[] = [];
  for (const name of await readdir("/proc")) {
    const p = /^\d+$/.test(name) ? await proc(Number(name)) : null;
    if (p) all.push(p);
  }
  const found: Proc[] = [];
  for (let parents = new Set([root]); parents.size;) {
    const children = all.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found;
}

/** Those of `processes` that still run (the same pid and start time). */
async function stillRunning(processes: Proc[]): Promise<Proc[]> {
  const running: Proc[] = [];
  for (const p of processes) if ((await proc(p.pid))?.startedAt === p.startedAt) running.push(p);
  return running;
}

/** The live processes of a process group, from /proc (zombies left out: they have exited). */
async function groupMembers(pgid: number): Promise<Array<{ pid: number; command: string }>> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
    if (!stat) continue;
    // Fields after the command, which is in parentheses and may hold spaces: state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) !== pgid || state === "Z") continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    found.push({ pid: Number(name), command: cmdline.split("\0").join(" ").trim() });
  }
  return found;
}
