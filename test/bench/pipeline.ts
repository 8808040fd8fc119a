/**
 * `npm run bench`: no-op requests through the whole path (POST, then GET until completed) at
 * several concurrencies, against a platform started here on loopback with its own nats-server.
 * Prints completed requests per second and end-to-end latency percentiles. Not a test: no
 * assertion on speed, the figures are for reading.
 *
 *   npm run bench -- --concurrency 1,16,64 --requests 2000 --seconds 20 --replicas 1
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { cp, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { client, level, startGlia } from "./support.ts";

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
  const glia = args.url ? { url: args.url, stop: async () => {} } : await startNoop(Number(args.replicas));
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
