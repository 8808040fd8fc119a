/**
 * @module
 * The `compute` section: what one replica requests.
 */
import { alphaNumericDashUnderscore, duplicated, GPU_AND_INF } from "./messages.ts";
import { compareQuantities, parseQuantity } from "./quantity.ts";
import { checkMinQuantity } from "./resolve-values.ts";
import type { RawCompute } from "./schema.ts";
import { bounded, type Scope } from "./scope.ts";
import type { ResolvedCompute, ResolvedHandler } from "./types.ts";

/** @default "200m" */
export const DEFAULT_CPU = "200m";
/** Smallest CPU request Cortex accepted. */
export const MIN_CPU = "20m";
/** Smallest memory request Cortex accepted. */
export const MIN_MEM = "20Mi";
export const NODE_GROUP = /^[a-zA-Z0-9_-]+$/;

/** Checks `compute`, filling in the defaults. */
export function resolveCompute(scope: Scope, raw: RawCompute): ResolvedCompute {
  const gpu = bounded(scope, "compute.gpu", raw.gpu, 0, { gte: 0 });
  const inf = bounded(scope, "compute.inf", raw.inf, 0, { gte: 0 });
  checkAccelerators(scope, gpu, inf);
  return {
    cpu: quantityField(scope, "compute.cpu", raw.cpu, DEFAULT_CPU, MIN_CPU),
    mem: quantityField(scope, "compute.mem", raw.mem, null, MIN_MEM),
    gpu: gpu ?? 0,
    inf: inf ?? 0,
    nodeGroups: nodeGroups(scope, raw.node_groups),
  };
}

function quantityField(
  scope: Scope,
  path: string,
  value: string | number | null | undefined,
  fallback: string | null,
  minimum: string,
): string | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  const text = String(value);
  return checkMinQuantity(scope, path, text, minimum) === null ? null : text;
}

function checkAccelerators(scope: Scope, gpu: number | undefined, inf: number | undefined): void {
  if (gpu !== undefined && inf !== undefined && gpu > 0 && inf > 0) {
    scope.report("compute", GPU_AND_INF);
  }
  if (inf !== undefined && inf > 1) {
    scope.report("compute.inf", `cannot request ${inf} Infs (currently only 1 Inf can be used per API replica)`);
  }
}

function nodeGroups(scope: Scope, value: string[] | null | undefined): string[] | null {
  if (value === undefined || value === null) return null;
  const seen = new Set<string>();
  value.forEach((group, index) => {
    const path = `compute.node_groups[${index}]`;
    if (!NODE_GROUP.test(group)) scope.report(path, alphaNumericDashUnderscore(group));
    else if (seen.has(group)) scope.report(path, duplicated(group));
    seen.add(group);
  });
  return [...value];
}

/** `handler.shm_size` may not exceed `compute.mem` when both are set. */
export function checkShmSize(scope: Scope, handler: ResolvedHandler, compute: ResolvedCompute): void {
  if (handler.shmSize === null || compute.mem === null) return;
  const shm = parseQuantity(handler.shmSize);
  const mem = parseQuantity(compute.mem);
  if (shm === null || mem === null || compareQuantities(shm, mem) <= 0) return;
  scope.report("handler.shm_size", `handler.shm_size (${handler.shmSize}) cannot exceed compute.mem (${compute.mem})`);
}
