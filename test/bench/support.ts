/**
 * What the benchmarks share: an HTTP client with kept-alive sockets, one request through the whole
 * path (POST, then GET until it ends), a bounded load at one concurrency, and `glia up` started as a
 * separate process, as a user starts it, on a project copied to a temporary folder.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export interface Http {
  call(method: string, path: string, body?: string): Promise<{ status: number; body: string }>;
}

export function client(base: string, sockets: number): Http {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const url = new URL(base);
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const headers =
          body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
        const req = request({ agent, host: url.hostname, port: url.port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        });
        req.on("error", reject);
        req.end(body);
      }),
  };
}

/** How long a polling client waits between GETs (as the clients glia is compared with do). */
const POLL_GAP_MS = 2;

/**
 * One request: POST `{}`, then GET until completed, long-polling (`?wait=10`) or, when `longPoll`
 * is false, polling with {@link POLL_GAP_MS} between GETs; its latency in ms.
 */
async function one(http: Http, endpoint: string, longPoll: boolean): Promise<number> {
  const start = performance.now();
  const posted = await http.call("POST", endpoint, "{}");
  if (posted.status !== 200) throw new Error(`POST answered ${posted.status}: ${posted.body}`);
  const { id } = JSON.parse(posted.body) as { id: string };
  for (;;) {
    const res = await http.call("GET", `${endpoint}/${id}${longPoll ? "?wait=10" : ""}`);
    const status = (JSON.parse(res.body) as { status: string }).status;
    if (status === "completed") return performance.now() - start;
    if (status === "failed") throw new Error(`request failed: ${res.body}`);
    if (!longPoll) await sleep(POLL_GAP_MS);
  }
}

export interface LevelResult {
  concurrency: number;
  completed: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `concurrency` clients sending requests one after another, until `total` are sent or `seconds` pass. */
export async function level(
  http: Http,
  endpoint: string,
  concurrency: number,
  total: number,
  seconds: number,
  longPoll: boolean,
): Promise<LevelResult> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total && performance.now() < deadline) {
        started++;
        latencies.push(await one(http, endpoint, longPoll));
      }
    }),
  );
  const elapsed = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { concurrency, completed: latencies.length, perSecond: latencies.length / elapsed, p50: q(0.5), p99: q(0.99) };
}

export interface RunningGlia {
  url: string;
  /** The `glia up` process. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `glia up` as a separate process on a project that `write(projectDir)` puts in a fresh
 * temporary folder, and waits for its URL. `env` is added to glia's environment.
 */
export async function startGlia(
  write: (projectDir: string) => Promise<void>,
  env: Record<string, string> = {},
): Promise<RunningGlia> {
  const dir = await mkdtemp(join(tmpdir(), "glia-bench-"));
  const project = join(dir, "project");
  await write(project);
  const cli = fileURLToPath(new URL("../../control-plane/cli/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "up", project, "--port", "0", "--data-dir", join(dir, "data"), "--log-level", "warn"],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } },
  );
  const lines = createInterface({ input: child.stderr! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const m = /glia is serving on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
      if (line.startsWith("error:")) reject(new Error(line));
    });
    child.once("exit", (code) => reject(new Error(`glia up exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
