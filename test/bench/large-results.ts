/**
 * `npm run bench:large`: reading results too large for a record (they live in the object store).
 * Starts `glia up` on a handler that returns a result of `--mib` MiB, stores one, then GETs it
 * `--concurrency` at a time, in rounds. Prints, per round, the time to the first byte and to the
 * last (medians over the concurrent GETs) and how much glia's own process grew while answering
 * (its resident memory, sampled every 5 ms; Linux only). Not a test: the figures are for reading.
 *
 *   npm run bench:large -- --mib 64 --concurrency 1,4 --rounds 3
 */
import { request } from "node:http";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { cp, readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { client, median, startGlia } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    mib: { type: "string", default: "64" },
    concurrency: { type: "string", default: "1,4" },
    rounds: { type: "string", default: "3" },
  },
});

/** Resident memory of process `pid` in bytes, or NaN where /proc is not there. */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

function fetchOnce(url: string): Promise<{ firstByte: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let firstByte = 0;
    let bytes = 0;
    request(url, (res) => {
      res.on("data", (chunk: Buffer) => {
        firstByte ||= performance.now() - start;
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ firstByte, total: performance.now() - start, bytes }));
    })
      .on("error", reject)
      .end();
  });
}

async function main(): Promise<void> {
  const glia = await startGlia((project) =>
    cp(fileURLToPath(new URL("../fixtures/large-payload/", import.meta.url)), project, { recursive: true }),
  );
  try {
    const http = client(glia.url, 1);
    const bytes = Number(args.mib) * 1024 * 1024;
    const posted = await http.call("POST", "/large", JSON.stringify({ result_bytes: bytes }));
    const { id } = JSON.parse(posted.body) as { id: string };
    const done = JSON.parse((await http.call("GET", `/large/${id}?wait=60`)).body) as { status: string };
    if (done.status !== "completed") throw new Error(`the large result was not stored: ${JSON.stringify(done)}`);
    console.log(`glia large-result bench: ${args.mib} MiB result, node ${process.version}, ${cpus().length} cores`);
    console.log("concurrency  round  first byte ms  last byte ms  glia grew MiB");
    for (const concurrency of args.concurrency.split(",").map(Number)) {
      for (let round = 1; round <= Number(args.rounds); round++) {
        const base = await rss(glia.pid);
        let peak = base;
        const sampler = setInterval(() => void rss(glia.pid).then((now) => (peak = Math.max(peak, now))), 5);
        const gets = await Promise.all(Array.from({ length: concurrency }, () => fetchOnce(`${glia.url}/large/${id}`)));
        clearInterval(sampler);
        if (gets.some((g) => g.bytes < bytes)) throw new Error("a GET answered less than the whole result");
        console.log(
          `${String(concurrency).padEnd(13)}${String(round).padEnd(7)}${median(gets.map((g) => g.firstByte))
            .toFixed(0)
            .padEnd(15)}${median(gets.map((g) => g.total))
            .toFixed(0)
            .padEnd(14)}${((peak - base) / 2 ** 20).toFixed(0)}`,
        );
      }
    }
  } finally {
    await glia.stop();
  }
}

await main();
