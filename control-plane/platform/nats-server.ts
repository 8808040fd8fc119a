import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NatsStartError } from "./errors.ts";

/** Largest message the local server accepts: 8 MiB (the server warns above that). */
export const LOCAL_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

export interface NatsServerOptions {
  /** JetStream's store; keep it between runs to keep queued requests and results. */
  dataDir: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default -1 (a free port) */
  port?: number;
  /** @default "nats-server" (from PATH) */
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
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts a `nats-server` child with JetStream, listening on loopback, and waits until it listens.
 * Its folder (configuration, store, ports file) is private to this user: 0700, files 0600.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
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
  const child = spawn(options.binary ?? "nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  const log: string[] = [];
  const reloads = new Reloads();
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    log.push(text);
    if (log.length > 200) log.splice(0, log.length - 200);
    reloads.read(text);
    if (options.onLog) for (const line of text.split("\n")) if (line.trim()) options.onLog(line);
  });
  const failed = failure(child, log);
  failed.catch(() => {}); // after a good start, a later exit is the owner's business, not a crash
  const url = await Promise.race([waitForPorts(dir, child, options.startTimeoutMs ?? 15_000), failed]);
  // Each reload writes the configuration as it is then and waits for the server, one at a time:
  // two writers at once could leave it a mix of both (a lost jetstream block disables JetStream).
  const reload = (): Promise<void> => reloads.run(() => writeConfig(conf, options), child, log);
  return { url, pid: child.pid!, reload, stop: () => stop(child, dir) };
}

let configWrites = 0;

/** Written to a new file and renamed, so the server never reads half a configuration. */
async function writeConfig(conf: string, options: NatsServerOptions): Promise<void> {
  const store = JSON.stringify(join(options.dataDir, "jetstream"));
  const auth = options.authorization?.() ?? "";
  const text = `max_payload: ${LOCAL_MAX_PAYLOAD_BYTES}\njetstream {\n  store_dir: ${store}\n}\n${auth}\n`;
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

async function waitForPorts(dir: string, child: ChildProcess, timeoutMs: number): Promise<string> {
  const file = join(dir, `nats-server_${child.pid}.ports`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, "utf8").catch(() => null);
    const url = text ? (JSON.parse(text) as { nats?: string[] }).nats?.[0] : undefined;
    if (url) {
      await chmod(file, 0o600); // the server writes it world-readable
      return url;
    }
    await sleep(20);
  }
  child.kill("SIGKILL");
  throw new NatsStartError(`nats-server did not start listening within ${timeoutMs / 1000} s`);
}

async function failure(child: ChildProcess, log: string[]): Promise<never> {
  const [err] = (await Promise.race([once(child, "error"), once(child, "exit").then(() => [null])])) as [
    NodeJS.ErrnoException | null,
  ];
  if (err?.code === "ENOENT") {
    throw new NatsStartError(
      "nats-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install nats-server`; " +
        "elsewhere see https://docs.nats.io/running-a-nats-service/introduction/installation), or point glia at a running server with NATS_URL.",
      { cause: err },
    );
  }
  throw new NatsStartError(`nats-server exited before it was ready:\n${log.join("").slice(-2000)}`, {
    cause: err ?? undefined,
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(join(dir, `nats-server_${child.pid}.ports`), { force: true });
}
