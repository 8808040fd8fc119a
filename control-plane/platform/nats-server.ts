import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
  /** More command-line options, e.g. `["--user", "u", "--pass", "p"]`. */
  extraArgs?: string[];
}

export interface NatsServer {
  url: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Starts a `nats-server` child with JetStream, listening on loopback, and waits until it listens. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  const dir = options.dataDir;
  await mkdir(dir, { recursive: true });
  await stopLeftovers(dir);
  const conf = join(dir, "nats-server.conf");
  await writeFile(
    conf,
    `max_payload: ${LOCAL_MAX_PAYLOAD_BYTES}\njetstream {\n  store_dir: ${JSON.stringify(join(dir, "jetstream"))}\n}\n`,
  );
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
  child.stderr!.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  const failed = failure(child, log);
  failed.catch(() => {}); // after a good start, a later exit is the owner's business, not a crash
  const url = await Promise.race([waitForPorts(dir, child, options.startTimeoutMs ?? 15_000), failed]);
  return { url, pid: child.pid!, stop: () => stop(child, dir) };
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
    if (url) return url;
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
