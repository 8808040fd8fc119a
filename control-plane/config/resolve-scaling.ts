/**
 * @module
 * The `autoscaling` and `update_strategy` sections.
 */
import { show, SURGE_AND_UNAVAILABLE_ZERO } from "./messages.ts";
import { checkDuration, type DurationRules } from "./resolve-values.ts";
import type { RawAutoscaling, RawUpdateStrategy } from "./schema.ts";
import { bounded, type Bounds, type Scope } from "./scope.ts";
import type { ResolvedAutoscaling, ResolvedUpdateStrategy } from "./types.ts";

/** Cortex's autoscaling defaults (v0.35 AsyncAPI: one process of one thread per replica). */
export const DEFAULT_AUTOSCALING: Readonly<ResolvedAutoscaling> = Object.freeze({
  minReplicas: 1,
  maxReplicas: 100,
  initReplicas: 1,
  targetReplicaConcurrency: 1,
  maxReplicaConcurrency: 1024,
  windowSeconds: 60,
  downscaleStabilizationPeriodSeconds: 300,
  upscaleStabilizationPeriodSeconds: 60,
  maxDownscaleFactor: 0.75,
  maxUpscaleFactor: 1.5,
  downscaleTolerance: 0.05,
  upscaleTolerance: 0.05,
});
/** @default "25%" */
export const DEFAULT_MAX_SURGE = "25%";
/** @default "25%" */
export const DEFAULT_MAX_UNAVAILABLE = "25%";
/** The autoscaler's tick; `window` must be a multiple of it. */
const TICK = "10s";

type Key = keyof ResolvedAutoscaling;
type Checked = Partial<Record<Key, number>>;
type NumberKey = {
  [K in keyof RawAutoscaling]-?: RawAutoscaling[K] extends number | undefined ? K : never;
}[keyof RawAutoscaling];
type DurationKey = Exclude<keyof RawAutoscaling, NumberKey>;

/** Numeric fields other than the replica counts: YAML key and bounds. */
const NUMBERS: [Key, NumberKey, Bounds][] = [
  ["maxReplicas", "max_replicas", { gt: 0 }],
  ["targetReplicaConcurrency", "target_replica_concurrency", { gt: 0 }],
  ["maxReplicaConcurrency", "max_replica_concurrency", { gt: 0, lte: 30000 }],
  ["maxDownscaleFactor", "max_downscale_factor", { gte: 0, lt: 1 }],
  ["maxUpscaleFactor", "max_upscale_factor", { gt: 1 }],
  ["downscaleTolerance", "downscale_tolerance", { gte: 0, lt: 1 }],
  ["upscaleTolerance", "upscale_tolerance", { gte: 0 }],
];
/** Duration fields: YAML key, default as written, rules. */
const DURATIONS: [Key, DurationKey, string, DurationRules][] = [
  ["windowSeconds", "window", "60s", { min: TICK, multipleOf: TICK }],
  ["downscaleStabilizationPeriodSeconds", "downscale_stabilization_period", "5m", { min: "0s" }],
  ["upscaleStabilizationPeriodSeconds", "upscale_stabilization_period", "1m", { min: "0s" }],
];

/** Checks `autoscaling`, filling in the defaults. */
export function resolveAutoscaling(scope: Scope, raw: RawAutoscaling): ResolvedAutoscaling {
  const checked = checkFields(scope, raw);
  checkReplicaOrder(scope, checked);
  const resolved = { ...DEFAULT_AUTOSCALING, initReplicas: checked.minReplicas ?? 1 };
  for (const key of Object.keys(resolved) as Key[]) resolved[key] = checked[key] ?? resolved[key];
  return resolved;
}

function checkFields(scope: Scope, raw: RawAutoscaling): Checked {
  const field = (key: keyof RawAutoscaling): string => `autoscaling.${key}`;
  // 0 is allowed (as Cortex v0.36+): an idle API then holds no runtime, and the first request wakes it.
  const min = bounded(scope, field("min_replicas"), raw.min_replicas, 1, { gte: 0 });
  const checked: Checked = { minReplicas: min };
  const init = raw.init_replicas;
  checked.initReplicas = bounded(scope, field("init_replicas"), init, min ?? 1, { gte: 0 });
  for (const [key, rawKey, bounds] of NUMBERS) {
    checked[key] = bounded(scope, field(rawKey), raw[rawKey], DEFAULT_AUTOSCALING[key], bounds);
  }
  for (const [key, rawKey, fallback, rules] of DURATIONS) {
    checked[key] = checkDuration(scope, field(rawKey), raw[rawKey], fallback, rules);
  }
  return checked;
}

function checkReplicaOrder(scope: Scope, checked: Checked): void {
  const { minReplicas: min, maxReplicas: max, initReplicas: init } = checked;
  const { targetReplicaConcurrency: target, maxReplicaConcurrency: limit } = checked;
  if (target !== undefined && limit !== undefined && target > limit) {
    const message =
      `target_replica_concurrency (${target}) cannot be greater than ` + `max_replica_concurrency (${limit})`;
    scope.report("autoscaling.target_replica_concurrency", message);
  }
  if (min !== undefined && max !== undefined && min > max) {
    const message = `min_replicas cannot be greater than max_replicas (${min} > ${max})`;
    scope.report("autoscaling.min_replicas", message);
  }
  if (init !== undefined && max !== undefined && init > max) {
    const message = `init_replicas cannot be greater than max_replicas (${init} > ${max})`;
    scope.report("autoscaling.init_replicas", message);
  }
  if (init !== undefined && min !== undefined && init < min) {
    const message = `init_replicas cannot be less than min_replicas (${init} < ${min})`;
    scope.report("autoscaling.init_replicas", message);
  }
}

/** Checks `update_strategy`, filling in the defaults. */
export function resolveUpdateStrategy(scope: Scope, raw: RawUpdateStrategy): ResolvedUpdateStrategy {
  const surge = surgeOrUnavailable(scope, "max_surge", raw.max_surge, DEFAULT_MAX_SURGE);
  const unavailable = surgeOrUnavailable(scope, "max_unavailable", raw.max_unavailable, DEFAULT_MAX_UNAVAILABLE);
  if (surge?.amount === 0 && unavailable?.amount === 0) {
    scope.report("update_strategy", SURGE_AND_UNAVAILABLE_ZERO);
  }
  return {
    maxSurge: surge?.text ?? DEFAULT_MAX_SURGE,
    maxUnavailable: unavailable?.text ?? DEFAULT_MAX_UNAVAILABLE,
  };
}

/** An integer (`5`, replicas) or an integer percentage up to 100 (`25%`, of desired replicas). */
function surgeOrUnavailable(
  scope: Scope,
  key: keyof RawUpdateStrategy,
  value: string | number | undefined,
  fallback: string,
): { text: string; amount: number } | null {
  const text = value === undefined ? fallback : String(value);
  const match = /^(\d+)(%?)$/.exec(text);
  const amount = Number(match?.[1]);
  if (match && (match[2] === "" || amount <= 100)) return { text, amount };
  const message =
    `${show(text)} is not a valid value - must be an integer percentage (e.g. 25%, to denote ` +
    "a percentage of desired replicas) or a positive integer (e.g. 5, to denote a number of replicas)";
  scope.report(`update_strategy.${key}`, message);
  return null;
}
