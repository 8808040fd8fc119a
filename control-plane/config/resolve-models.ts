/**
 * @module
 * `handler.models` and the other fields that depend on the handler type.
 */
import {
  alphaNumericDashUnderscore,
  mustBeDefinedForHandlerType,
  notSupportedByHandlerType,
  notSupportedForKind,
  showOr,
} from "./messages.ts";
import { modelUrlProblem } from "./model-locations.ts";
import { checkImage } from "./resolve-values.ts";
import type { RawHandler, RawModels } from "./schema.ts";
import { required, type Scope } from "./scope.ts";
import type { ResolvedHandler } from "./types.ts";

const MODEL_SOURCES = ["path", "paths", "dir"] as const;
const MODEL_NAME = /^[a-zA-Z0-9_-]+$/;

/** The `models` map for the tensorflow type (required there, refused for python); else null. */
export function resolveModels(scope: Scope, type: ResolvedHandler["type"], handler: RawHandler): unknown | null {
  if (type === "python") {
    checkPythonFields(scope, handler);
    return null;
  }
  checkImage(scope, "handler.tensorflow_serving_image", handler.tensorflow_serving_image);
  const models = handler.models ?? null;
  if (models === null && !scope.isBroken("handler.models")) {
    scope.report("handler.models", mustBeDefinedForHandlerType("models", "tensorflow"));
  }
  if (models !== null) checkModels(scope, models);
  return models === null ? null : structuredClone(models);
}

function checkPythonFields(scope: Scope, handler: RawHandler): void {
  if (handler.models !== undefined && handler.models !== null) {
    scope.report("handler.models", notSupportedByHandlerType("models", "python"));
  }
  if (handler.tensorflow_serving_image) {
    const key = "tensorflow_serving_image";
    scope.report(`handler.${key}`, notSupportedByHandlerType(key, "python"));
  }
}

function checkModels(scope: Scope, models: RawModels): void {
  checkOneSource(scope, models);
  for (const key of ["cache_size", "disk_cache_size"] as const) {
    if (models[key] !== undefined) scope.report(`handler.models.${key}`, notSupportedForKind(key));
  }
  checkModelPaths(scope, models.paths ?? []);
  if (models.path !== undefined) checkLocation(scope, "handler.models.path", models.path);
  if (models.dir !== undefined) checkLocation(scope, "handler.models.dir", models.dir);
  (models.paths ?? []).forEach((model, index) => {
    if (model.path !== undefined) checkLocation(scope, `handler.models.paths[${index}].path`, model.path);
  });
}

/**
 * A URL must be `s3://bucket/prefix`, which the worker fetches into its model cache before the
 * runtime starts; any other scheme is refused here, at deploy, rather than when a replica starts.
 */
function checkLocation(scope: Scope, path: string, value: string): void {
  const problem = modelUrlProblem(value);
  if (problem !== null) scope.report(path, problem);
}

function checkOneSource(scope: Scope, models: RawModels): void {
  const given = MODEL_SOURCES.filter((key) =>
    key === "paths" ? (models.paths?.length ?? 0) > 0 : models[key] !== undefined,
  );
  if (given.length === 1) return;
  const both = "(both cannot be specified at the same time)";
  const message =
    given.length === 2
      ? `please specify either the ${given[0]} or ${given[1]} field ${both}`
      : `please specify only one of the following fields ${showOr(MODEL_SOURCES)}`;
  scope.report("handler.models", message);
}

function checkModelPaths(scope: Scope, paths: NonNullable<RawModels["paths"]>): void {
  const seen = new Set<string>();
  paths.forEach((model, index) => {
    const at = `handler.models.paths[${index}]`;
    required(scope, `${at}.path`, model.path);
    const name = required(scope, `${at}.name`, model.name);
    if (name === null) return;
    if (!MODEL_NAME.test(name)) scope.report(`${at}.name`, alphaNumericDashUnderscore(name));
    if (seen.has(name)) {
      scope.report(`${at}.name`, `cannot have multiple models with the same name (${name})`);
    }
    seen.add(name);
  });
}
