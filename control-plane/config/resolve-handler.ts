/**
 * @module
 * The `handler` section: what to run and how (Cortex v0.35 handler rules).
 */
import { fileDoesNotExist, greaterThan, invalidValue, notSupportedForKind, ONNX_REPLACED, show } from "./messages.ts";
import { isProjectDir, isProjectFile, projectRelative } from "./project-paths.ts";
import { checkImage, checkQuantity } from "./resolve-values.ts";
import { resolveDependencies } from "./resolve-dependencies.ts";
import { resolveModels } from "./resolve-models.ts";
import type { RawHandler } from "./schema.ts";
import { checkBounds, required, type Scope } from "./scope.ts";
import type { ResolvedHandler } from "./types.ts";

export const HANDLER_TYPES = ["python", "tensorflow"] as const;
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** @default "info" */
export const DEFAULT_LOG_LEVEL = "info";
/** Prefixes of environment variable names that Cortex and glia set themselves. */
export const RESERVED_ENV_PREFIXES = ["CORTEX_", "GLIA_"];
/** Keys that Cortex accepted for other kinds and refused for AsyncAPI. */
const KEYS_NOT_FOR_ASYNC = ["server_side_batching", "multi_model_reloading", "protobuf_path"] as const;
/** `python_path` values that would only repeat the project directory, already on the path. */
const REDUNDANT_PYTHON_PATHS = new Set([".", "./", "./."]);

/** Checks `handler`; null when it is missing (reported). */
export function resolveHandler(scope: Scope, raw: RawHandler | null | undefined): ResolvedHandler | null {
  const handler = required(scope, "handler", raw);
  if (handler === null) return null;
  const type = handlerType(scope, handler.type);
  checkAsyncOnly(scope, handler);
  return {
    type: type ?? "python",
    path: handlerPath(scope, handler.path) ?? "",
    config: structuredClone(handler.config ?? {}),
    pythonPath: pythonPath(scope, handler.python_path),
    image: checkImage(scope, "handler.image", handler.image),
    env: resolveEnv(scope, handler.env ?? {}),
    logLevel: logLevel(scope, handler.log_level),
    shmSize: shmSize(scope, handler.shm_size),
    dependencies: resolveDependencies(scope, handler.dependencies ?? {}),
    models: type === null ? null : resolveModels(scope, type, handler),
  };
}

function handlerType(scope: Scope, value: string | undefined): ResolvedHandler["type"] | null {
  const type = required(scope, "handler.type", value);
  if (type === null) return null;
  if (isOneOf(HANDLER_TYPES, type)) return type;
  scope.report("handler.type", type === "onnx" ? ONNX_REPLACED : invalidValue(type, HANDLER_TYPES));
  return null;
}

function handlerPath(scope: Scope, value: string | undefined): string | null {
  const path = "handler.path";
  const given = required(scope, path, value);
  const relative = given === null ? null : projectRelative(scope, path, given);
  if (given === null || relative === null) return null;
  if (!/\.(py|pickle)$/.test(relative)) {
    scope.report(path, `${show(given)} must end with \`.py\` or \`.pickle\``);
    return null;
  }
  if (isProjectFile(scope.projectDir, relative)) return relative;
  scope.report(path, fileDoesNotExist(given));
  return null;
}

function pythonPath(scope: Scope, value: string | null | undefined): string | null {
  const path = "handler.python_path";
  if (value === undefined || value === null) return null;
  const relative = projectRelative(scope, path, value);
  if (relative === null) return null;
  if (REDUNDANT_PYTHON_PATHS.has(value) || relative === ".") {
    const why = "the project directory is already on the python path";
    scope.report(path, `${show(value)} is not allowed (${why})`);
    return null;
  }
  if (isProjectDir(scope.projectDir, relative)) return `${relative}/`;
  const missing = "path does not exist, or has been excluded from your project directory";
  scope.report(path, `${show(`${relative}/`)}: ${missing}`);
  return null;
}

function resolveEnv(scope: Scope, env: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(env)) {
    const prefix = RESERVED_ENV_PREFIXES.find((reserved) => name.startsWith(reserved));
    if (prefix !== undefined) {
      const message = `environment variables starting with ${prefix} are reserved`;
      scope.report(`handler.env.${name}`, message);
    }
  }
  return { ...env };
}

function logLevel(scope: Scope, value: string | undefined): ResolvedHandler["logLevel"] {
  if (value === undefined) return DEFAULT_LOG_LEVEL;
  if (isOneOf(LOG_LEVELS, value)) return value;
  scope.report("handler.log_level", invalidValue(value, LOG_LEVELS));
  return DEFAULT_LOG_LEVEL;
}

function shmSize(scope: Scope, value: string | number | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const quantity = checkQuantity(scope, "handler.shm_size", String(value));
  if (quantity === null || quantity.num > 0n) return quantity?.text ?? null;
  scope.report("handler.shm_size", greaterThan(quantity.text, 0));
  return null;
}

function checkAsyncOnly(scope: Scope, handler: RawHandler): void {
  for (const key of ["processes_per_replica", "threads_per_process"] as const) {
    const count = handler[key];
    if (count === undefined || !checkBounds(scope, `handler.${key}`, count, { gte: 1 })) continue;
    if (count > 1) scope.report(`handler.${key}`, notSupportedForKind(key));
  }
  for (const key of KEYS_NOT_FOR_ASYNC) {
    if (Object.hasOwn(handler, key)) scope.report(`handler.${key}`, notSupportedForKind(key));
  }
}

function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}
