/**
 * `npm run bench`: no-op requests through the whole path (POST, then GET until completed) at
 * several concurrencies, against a platform started here on loopback with its own nats-server.
 * Prints completed requests per second and end-to-end latency percentiles. Not a test: no
 * assertion on speed, the figures are for reading.
 *
 *   npm run bench -- --concurrency 1,16,64 --requests 2000 --seconds 20 --replicas 1
 */
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "1,16,64" },
    requests: { type: "string", default: "3000" },
    seconds: { type: "string", default: "20" },
    replicas: { type: "string", default: "1" },
    poll: { type: "string", default: "long" },
    url: { type: "string" },
  },
});

interface Http {
  call(method: string, path: string, body?: string): Promise<{ status: number; body: string }>;
}

function client(base: string, sockets: number): Http {
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
  }
}

async function level(
  http: Http,
  endpoint: string,
  concurrency: number,
  total: number,
  seconds: number,
  longPoll: boolean,
) {
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

/** Starts `glia up` on the no-op project as a separate process, as a user would, and waits for its URL. */
async function startGlia(replicas: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "glia-bench-"));
  const project = join(dir, "noop");
  await cp(fileURLToPath(new URL("./noop/", import.meta.url)), project, { recursive: true });
  const yaml = await readFile(join(project, "cortex.yaml"), "utf8");
  await writeFile(join(project, "cortex.yaml"), `${yaml}  autoscaling:\n    min_replicas: ${replicas}\n`);
  const cli = fileURLToPath(new URL("../../control-plane/cli/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "up", project, "--port", "0", "--data-dir", join(dir, "data"), "--log-level", "warn"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
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
    stop: async () => {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const glia = args.url ? { url: args.url, stop: async () => {} } : await startGlia(Number(args.replicas));
  const endpoint = "/noop";
  const longPoll = args.poll === "long";
  try {
    const levels = args.concurrency.split(",").map(Number);
    const http = client(glia.url, Math.max(...levels));
    await level(http, endpoint, 8, 300, 10, longPoll); // warm-up
    console.log(
      `glia pipeline bench: no-op handler, ${args.replicas} runtime(s), GET ${longPoll ? "long-poll (?wait=10)" : "polling"}, node ${process.version}, ${cpus().length} cores`,
    );
    console.log("concurrency  completed  req/s    p50 ms  p99 ms");
    for (const c of levels) {
      const r = await level(http, endpoint, c, Number(args.requests), Number(args.seconds), longPoll);
      console.log(
        `${String(r.concurrency).padEnd(13)}${String(r.completed).padEnd(11)}${r.perSecond.toFixed(0).padEnd(9)}${r.p50.toFixed(2).padEnd(8)}${r.p99.toFixed(2)}`,
      );
    }
  } finally {
    await glia.stop();
  }
}

await main();
