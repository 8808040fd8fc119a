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

/** The devices of each runtime of one API (one list per replica), and how they were found. */
export interface GpuAssignment {
  devices: string[][];
  /** Too few GPUs were free: some runtimes share devices with others. */
  shared: boolean;
  /** GPUs were asked for but the machine has none: the runtimes see no GPU (handlers fall back to CPU). */
  missing: boolean;
}

/**
 * Hands out the machine's GPUs to APIs' runtimes (`compute.gpu` each): distinct devices while there
 * are enough, shared round-robin (and said so) when there are not. An API keeps its devices across
 * redeploys; an API that asks for none gets none, so it cannot take memory on another's GPU.
 */
export class GpuAllocator {
  readonly #inventory: string[];
  readonly #held = new Map<string, string[][]>();

  constructor(inventory: string[]) {
    this.#inventory = inventory;
  }

  get inventory(): readonly string[] {
    return this.#inventory;
  }

  assign(api: string, replicas: number, perReplica: number): GpuAssignment {
    this.#held.delete(api); // a redeploy may take the same devices again
    const none = { devices: Array.from({ length: replicas }, () => []), shared: false, missing: false };
    if (perReplica === 0) return none;
    if (this.#inventory.length === 0) return { ...none, missing: true };
    const taken = new Set([...this.#held.values()].flat(2));
    const free = this.#inventory.filter((id) => !taken.has(id));
    const enough = free.length >= replicas * perReplica;
    // Not enough free: share the machine's GPUs round-robin (also when one runtime asks for more than exist).
    const pool = enough ? free : this.#inventory;
    const devices = Array.from({ length: replicas }, (_, r) => [
      ...new Set(Array.from({ length: perReplica }, (_, g) => pool[(r * perReplica + g) % pool.length]!)),
    ]);
    this.#held.set(api, devices);
    return { devices, shared: !enough, missing: false };
  }

  release(api: string): void {
    this.#held.delete(api);
  }

  /** Gives an API back the devices it held, e.g. when its new version could not start. */
  restore(api: string, devices: string[][]): void {
    this.#held.set(api, devices);
  }
}
