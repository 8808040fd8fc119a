/**
 * `npm run bench:threads`: what sharing the cores among runtimes is worth. Two runtimes of a
 * CPU-bound PyTorch API (four 1024×1024 layers, batch 64 per request) serve the same bounded load,
 * in rounds that alternate between glia's default (each runtime gets its share of the cores) and
 * the libraries' own default (every runtime one thread per core, set through OMP_NUM_THREADS and
 * the like in glia's environment, which glia keeps). Prints each round and the medians. Not a
 * test: no assertion on speed, the figures are for reading.
 *
 *   npm run bench:threads -- --rounds 5 --requests 300 --concurrency 4
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { cp } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { THREAD_VARIABLES } from "../../control-plane/runtime/index.ts";
import { client, level, median, startGlia } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    requests: { type: "string", default: "300" },
    seconds: { type: "string", default: "60" },
    concurrency: { type: "string", default: "4" },
  },
});

const cores = availableParallelism();
const MODES = {
  share: {} as Record<string, string>,
  "per core": Object.fromEntries(THREAD_VARIABLES.map((name) => [name, String(cores)])),
};

async function round(mode: keyof typeof MODES): Promise<{ perSecond: number; p50: number; threads: number }> {
  for (const name of THREAD_VARIABLES) delete process.env[name]; // only the mode decides
  const glia = await startGlia(async (project) => {
    await cp(fileURLToPath(new URL("./dense/", import.meta.url)), project, { recursive: true });
    await cp(
      fileURLToPath(new URL("../../examples/pytorch-image/requirements.txt", import.meta.url)),
      join(project, "requirements.txt"),
    );
  }, MODES[mode]);
  try {
    const http = client(glia.url, Number(args.concurrency));
    const probe = await http.call("POST", "/dense", "{}");
    const { id } = JSON.parse(probe.body) as { id: string };
    const record = JSON.parse((await http.call("GET", `/dense/${id}?wait=60`)).body) as { result: { threads: number } };
    await level(http, "/dense", Number(args.concurrency), 40, 30, true); // warm-up
    const r = await level(http, "/dense", Number(args.concurrency), Number(args.requests), Number(args.seconds), true);
    return { perSecond: r.perSecond, p50: r.p50, threads: record.result.threads };
  } finally {
    await glia.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `glia threads bench: 2 runtimes, dense 4×1024² batch 64, concurrency ${args.concurrency}, ${args.requests} requests a round, node ${process.version}, ${cores} cores`,
  );
  console.log("round  mode      torch threads  req/s   p50 ms");
  const seen: Record<string, number[]> = { share: [], "per core": [] };
  for (let i = 0; i < Number(args.rounds); i++) {
    for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
      const r = await round(mode);
      seen[mode]!.push(r.perSecond);
      console.log(
        `${String(i + 1).padEnd(7)}${mode.padEnd(10)}${String(r.threads).padEnd(15)}${r.perSecond.toFixed(1).padEnd(8)}${r.p50.toFixed(1)}`,
      );
    }
  }
  const share = median(seen["share"]!);
  const perCore = median(seen["per core"]!);
  console.log(
    `median req/s: share ${share.toFixed(1)}, per core ${perCore.toFixed(1)}; share / per core = ${(share / perCore).toFixed(2)}`,
  );
}

await main();
