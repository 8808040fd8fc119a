/**
 * `node --import tsx fetch-models.ts <json>`: runs ensureModels({models, cacheDir, env}) and prints
 * each progress line. With `"stallAtProgress": true` it prints `STALLED` at the first files/bytes
 * line and then blocks its event loop, so the fetch is stuck half-way until the test kills it.
 */
import { writeSync } from "node:fs";
import { ensureModels } from "../../control-plane/runtime/index.ts";

const args = JSON.parse(process.argv[2] ?? "{}") as {
  models: unknown;
  cacheDir: string;
  env: Record<string, string>;
  stallAtProgress?: boolean;
};
const onProgress = (line: string): void => {
  writeSync(1, `${line}\n`);
  if (args.stallAtProgress && / files, .* of /.test(line)) {
    writeSync(1, "STALLED\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks until killed
  }
};
const result = await ensureModels(args.models, { cacheDir: args.cacheDir, env: args.env, onProgress });
writeSync(1, `${JSON.stringify(result)}\n`);
