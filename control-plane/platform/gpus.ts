import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gliaEnvironment, type GliaEnvironment } from "../config/index.ts";

/**
 * The GPUs this machine lends to runtimes, as CUDA device ids: `GLIA_GPUS` when set (`0,1`; empty
 * for none), else the platform's own `CUDA_VISIBLE_DEVICES`, else what `nvidia-smi` lists; none
 * when there is no NVIDIA driver.
 */
export async function detectGpus(env: GliaEnvironment = gliaEnvironment()): Promise<string[]> {
  if (env.gpus !== null) return splitIds(env.gpus);
  try {
    const { stdout } = await promisify(execFile)("nvidia-smi", ["--query-gpu=index", "--format=csv,noheader"], {
      timeout: 5_000,
    });
    return splitIds(stdout.replaceAll("\n", ","));
  } catch {
    return []; // no driver, or no GPU
  }
}

function splitIds(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "-1");
}
