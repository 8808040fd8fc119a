import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ChildExitedError, ChildNotReadyError, ChildSpawnError, startChild, type ChildOptions } from "./index.ts";

const T = { timeout: 20_000 };
/** Children that print `ready` once they are, then idle until stopped. */
const READY = `console.log("ready"); setInterval(() => {}, 1000);`;

/** A node child running `script`, its output piped (and collected) for the readiness check. */
function node(script: string, more: Partial<ChildOptions> = {}): ChildOptions & { output: string[] } {
  const output: string[] = [];
  return {
    command: process.execPath,
    args: ["-e", script],
    stdio: ["ignore", "pipe", "inherit"],
    onSpawn: (c) => void c.stdout!.on("data", (b: Buffer) => output.push(b.toString())),
    ready: printed("ready"),
    output,
    ...more,
  };
}

/** Ready once the child prints `text` on a line of its own. */
function printed(text: string): (c: ChildProcess, signal: AbortSignal) => Promise<void> {
  return (c, signal) =>
    new Promise((resolve, reject) => {
      const lines = createInterface({ input: c.stdout! });
      lines.on("line", (line) => line.startsWith(text) && resolve());
      signal.addEventListener("abort", () => reject(new Error("given up")), { once: true });
    });
}

/** Whether a process is gone (or only a zombie waiting to be reaped, which has exited). */
async function gone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** Fields of /proc/<pid>/stat after the command: state, ppid, pgrp... */
async function pgrp(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

describe("startChild", () => {
  it("resolves once the readiness check passes; stop sends SIGTERM and resolves when it has exited", T, async () => {
    const child = await startChild(node(READY));
    assert.equal(child.running, true);
    assert.equal(await gone(child.pid), false);
    const status = await child.stop(10_000);
    assert.deepEqual(status, { code: null, signal: "SIGTERM" });
    assert.equal(child.running, false);
    assert.deepEqual(await child.stop(10_000), status, "stopping it again answers the same, sending nothing");
  });

  it("rejects with the exit status when the child exits before it is ready, its output read", T, async () => {
    const options = node(`console.log("cannot load"); process.exit(3);`);
    const err = await startChild(options).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChildExitedError, String(err));
    assert.deepEqual(err.status, { code: 3, signal: null });
    assert.match(err.message, /exited with status 3 before it was ready/);
    assert.deepEqual(options.output, ["cannot load\n"], "its last words are read before the start fails");
  });

  it("kills a child that ignores SIGTERM once the grace period is over", T, async () => {
    const options = node(`process.on("SIGTERM", () => console.log("ignoring SIGTERM")); ${READY}`);
    const child = await startChild(options);
    const status = await child.stop(100);
    assert.deepEqual(status, { code: null, signal: "SIGKILL" });
    assert.match(options.output.join(""), /ignoring SIGTERM/, "it was asked first");
  });

  it("waits for an IPC message and asks it to stop by one, with the grace period", T, async () => {
    const script = `process.send({ type: "ready" });
      process.on("message", (m) => { if (m.type === "stop") { console.log("stop " + m.graceMs); process.exit(0); } });`;
    const options = node(script, {
      stdio: ["ignore", "pipe", "inherit", "ipc"],
      ready: (c) => new Promise((resolve) => c.on("message", (m: { type: string }) => m.type === "ready" && resolve())),
      requestStop: (c, graceMs) => c.send({ type: "stop", graceMs }),
    });
    const child = await startChild(options);
    assert.deepEqual(await child.stop(1234), { code: 0, signal: null });
    assert.deepEqual(options.output, ["stop 1234\n"]);
  });

  it("rejects with what the readiness check rejects with (a message the child sent), the child killed", T, async () => {
    let spawned: ChildProcess | undefined;
    const options = node(`process.send({ type: "failed", message: "no handler" }); ${READY}`, {
      stdio: ["ignore", "pipe", "inherit", "ipc"],
      onSpawn: (c) => (spawned = c),
      ready: (c) =>
        new Promise((_, reject) => c.on("message", (m: { message: string }) => reject(new Error(m.message)))),
    });
    await assert.rejects(startChild(options), /no handler/);
    assert.equal(spawned!.signalCode, "SIGKILL");
  });

  it("reads a message the child sent just before exiting before its exit counts", T, async () => {
    // Sent, then exit at once: the "failed" message must win over the early exit (the worker's
    // "failed" message names why it could not start). The exit is awaited until the channel closes.
    const script = `process.send({ type: "failed", message: "no handler" }, () => process.exit(1));`;
    const options = node(script, {
      stdio: ["ignore", "pipe", "inherit", "ipc"],
      ready: (c) =>
        new Promise((_, reject) => c.on("message", (m: { message: string }) => reject(new Error(m.message)))),
    });
    for (let round = 0; round < 3; round++) await assert.rejects(startChild(options), /^Error: no handler$/);
  });

  it("gives up after readyTimeoutMs and kills the child", T, async () => {
    let spawned: ChildProcess | undefined;
    const options = node(`setInterval(() => {}, 1000);`, { readyTimeoutMs: 200, onSpawn: (c) => (spawned = c) });
    const err = await startChild(options).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChildNotReadyError, String(err));
    assert.equal(err.timeoutMs, 200);
    assert.equal(spawned!.signalCode, "SIGKILL");
    assert.equal(await gone(spawned!.pid!), true);
  });

  it("rejects with the abort reason when the start is given up, and kills the child", T, async () => {
    const abort = new AbortController();
    let spawned: ChildProcess | undefined;
    const options = node(`setInterval(() => {}, 1000);`, {
      signal: abort.signal,
      onSpawn: (c) => {
        spawned = c;
        queueMicrotask(() => abort.abort(new Error("not wanted any more")));
      },
    });
    await assert.rejects(startChild(options), /not wanted any more/);
    assert.equal(spawned!.signalCode, "SIGKILL");
  });

  it("names a command that cannot be started", T, async () => {
    const err = await startChild({ command: "/nonexistent/glia-no-such-command" }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChildSpawnError, String(err));
    assert.equal(err.errno, "ENOENT");
    assert.match(err.message, /\/nonexistent\/glia-no-such-command could not be started \(ENOENT\)/);
  });

  it("runs a detached child in a process group of its own and stops the whole group", T, async () => {
    const script = `const { spawn } = require("node:child_process");
      const g = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: ["ignore", "inherit", "ignore"] });
      console.log("ready " + g.pid); setInterval(() => {}, 1000);`;
    const options = node(script, { detached: true });
    const child = await startChild(options);
    const grandchild = Number(/ready (\d+)/.exec(options.output.join(""))![1]);
    assert.equal(await pgrp(child.pid), child.pid, "a group of its own");
    assert.equal(await pgrp(grandchild), child.pid, "its own children are in it");
    assert.notEqual(await pgrp(child.pid), await pgrp(process.pid));
    // Resolves once the pipe both hold is closed: both are gone.
    assert.deepEqual(await child.stop(10_000), { code: null, signal: "SIGTERM" });
    assert.equal(await gone(grandchild), true, "the grandchild got the SIGTERM too");
  });

  it("signals a child started with stopOnParentExit when its parent exits without stopping it", T, async () => {
    const module = fileURLToPath(new URL("./index.ts", import.meta.url));
    // The parent starts a detached child, which holds the parent's stdout, and exits at once.
    const parent = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { startChild } = await import(${JSON.stringify(module)});
         const c = await startChild({ command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"],
           stdio: ["ignore", "inherit", "ignore"], detached: true, stopOnParentExit: true });
         console.log("child " + c.pid);
         process.exit(0);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let printed = "";
    parent.stdout!.on("data", (b: Buffer) => (printed += b.toString()));
    await once(parent.stdout!, "end"); // both it and the child it left have closed the pipe
    const pid = Number(/child (\d+)/.exec(printed)?.[1]);
    assert.ok(pid, `the parent printed the child's pid: ${printed}`);
    assert.equal(await gone(pid), true);
  });
});
