/**
 * `npm run bench`: no-op requests through the whole path (POST, then GET until completed) at
 * several concurrencies, against a platform started here on loopback with its own nats-server.
 * Prints completed requests per second and end-to-end latency percentiles, and the CPU time each
 * process spent per completed request (from `/proc/<pid>/stat` before and after each run: the
 * `glia up` process with its gateway, the worker, nats-server, the runtime, and this client).
 * Not a test: no assertion on speed, the figures are for reading. `--poll short` polls with 2 ms
 * between GETs instead of long-polling.
 *
 *   npm run bench -- --concurrency 1,16,64 --requests 2000 --seconds 20 --replicas 1
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { cp, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { client, level, startGlia } from "./support.ts";
import { clientCpu, cpuByRole, ROLES, type Role } from "./process-cpu.ts";

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

/** Starts `glia up` on a copy of the no-op project with `replicas` runtimes, no more, no fewer. */
function startNoop(replicas: number) {
  return startGlia(async (project) => {
    await cp(fileURLToPath(new URL("./noop/", import.meta.url)), project, { recursive: true });
    const yaml = await readFile(join(project, "cortex.yaml"), "utf8");
    // A fixed count: the autoscaler would otherwise add runtimes during the run.
    const scaling = `  autoscaling:\n    min_replicas: ${replicas}\n    max_replicas: ${replicas}\n`;
    await writeFile(join(project, "cortex.yaml"), `${yaml}${scaling}`);
  });
}

async function main(): Promise<void> {
  const glia = args.url ? { url: args.url, pid: null, stop: async () => {} } : await startNoop(Number(args.replicas));
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
    const spent: Array<{ concurrency: number; perRequest: Record<Role | "client", number> }> = [];
    for (const c of levels) {
      const before = glia.pid === null ? null : { server: cpuByRole(glia.pid), client: clientCpu() };
      const r = await level(http, endpoint, c, Number(args.requests), Number(args.seconds), longPoll);
      console.log(
        `${String(r.concurrency).padEnd(13)}${String(r.completed).padEnd(11)}${r.perSecond.toFixed(0).padEnd(9)}${r.p50.toFixed(2).padEnd(8)}${r.p99.toFixed(2)}`,
      );
      if (before && glia.pid !== null) {
        const after = cpuByRole(glia.pid);
        const ms = (seconds: number): number => (seconds * 1000) / Math.max(1, r.completed);
        const perRequest = Object.fromEntries(ROLES.map((role) => [role, ms(after[role] - before.server[role])]));
        spent.push({
          concurrency: c,
          perRequest: { ...(perRequest as Record<Role, number>), client: ms(clientCpu() - before.client) },
        });
      }
    }
    if (spent.length) printCpu(spent);
  } finally {
    await glia.stop();
  }
}

/** CPU ms per completed request, by process, and the server's total (everything but the client). */
function printCpu(spent: Array<{ concurrency: number; perRequest: Record<Role | "client", number> }>): void {
  console.log("\nCPU ms per completed request (user + system, /proc/<pid>/stat)");
  console.log(`concurrency  ${ROLES.map((r) => r.padEnd(12)).join("")}server      client`);
  for (const { concurrency, perRequest } of spent) {
    const server = ROLES.reduce((sum, role) => sum + perRequest[role], 0);
    const cells = [...ROLES.map((role) => perRequest[role]), server].map((v) => v.toFixed(3).padEnd(12));
    console.log(`${String(concurrency).padEnd(13)}${cells.join("")}${perRequest.client.toFixed(3)}`);
  }
}

await main();
