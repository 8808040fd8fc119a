/**
 * `npm run bench:cold-start`: how long the first request waits when an API scaled to zero wakes
 * (request accepted → result), for one of the examples. The example is copied with
 * `min_replicas: 0` (and a 10 s window, no downscale stabilization, so it is idle again between
 * rounds); each round waits until the API holds no runtime, then sends one request. Prints each
 * round and the median. Not a test: no assertion on speed, the figures are for reading.
 *
 *   npm run bench:cold-start -- --example iris --payload '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadProject } from "../../control-plane/config/index.ts";
import { ApiRegistry } from "../../control-plane/jobs/index.ts";
import { silentLogger } from "../../control-plane/observability/index.ts";
import { up } from "../../control-plane/platform/index.ts";
import { median } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    example: { type: "string", default: "hello" },
    payload: { type: "string", default: '{"name": "glia"}' },
    rounds: { type: "string", default: "3" },
  },
});
const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

const dir = await mkdtemp(join(tmpdir(), "glia-cold-start-"));
const project = join(dir, "project");
await cp(join(EXAMPLES, args.example), project, { recursive: true });
const file = join(project, "cortex.yaml");
const scaling = "\n  autoscaling:\n    min_replicas: 0\n    window: 10s\n    downscale_stabilization_period: 0s";
const yaml = (await readFile(file, "utf8")).replace(/\n {2}autoscaling:\n {4}min_replicas: \d+/, "");
await writeFile(file, yaml.replace(/(\n {2}handler:)/, `${scaling}$1`));
process.env["GLIA_STATE_FILE"] = join(dir, "state.json");
const platform = await up({
  projects: [await loadProject(project)],
  port: 0,
  internalPort: 0,
  dataDir: join(dir, "data"),
  gpus: [],
  logger: silentLogger(),
});
try {
  const api = platform.apis[0]!;
  const registry = await ApiRegistry.open(platform.nc);
  const times: number[] = [];
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (let tries = 0; ; tries++) {
      const status = await registry.status(api.name);
      if (status?.replicas === 0 && status.ready === 0) break;
      if (tries > 600) throw new Error(`${api.name} did not scale to zero within 2 min`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const started = performance.now();
    const headers = { "content-type": "application/json" };
    const accepted = await fetch(api.url, { method: "POST", body: args.payload, headers });
    const { id } = (await accepted.json()) as { id: string };
    for (;;) {
      const record = (await (await fetch(`${api.url}/${id}?wait=30`)).json()) as { status: string };
      if (record.status === "failed") throw new Error(`the request failed: ${JSON.stringify(record)}`);
      if (record.status === "completed") break;
    }
    times.push(performance.now() - started);
    console.log(`${args.example}: round ${round}: cold start ${Math.round(times.at(-1)!)} ms`);
  }
  console.log(`${args.example}: median cold start ${Math.round(median(times))} ms over ${times.length} rounds`);
} finally {
  await platform.stop(2_000);
  await rm(dir, { recursive: true, force: true });
}
