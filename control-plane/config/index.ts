/**
 * @module
 * `cortex.yaml`: loading a project and resolving its AsyncAPI specs. The only public surface of
 * this folder.
 */
export { ConfigError, formatIssue, type ConfigIssue } from "./errors.ts";
export { CONFIG_FILE_NAME, loadProject } from "./load.ts";
export { resolveConfig } from "./resolve.ts";
export { canonicalEndpoint } from "./resolve-api.ts";
export { compareQuantities, parseQuantity, quantityToNumber, type Quantity } from "./quantity.ts";
export { durationToSeconds, parseDuration } from "./duration.ts";
export { DEFAULT_RETRIES } from "./resolve-glia.ts";
export {
  listProjectFiles,
  PROJECT_FILE_LIMIT_BYTES,
  ProjectStagingError,
  ProjectTooLargeError,
  stageProject,
  type ProjectFile,
  type ProjectFiles,
} from "./project-files.ts";
export type {
  LoadedProject,
  ResolvedApiSpec,
  ResolvedAutoscaling,
  ResolvedCompute,
  ResolvedDependencies,
  ResolvedHandler,
  ResolvedUpdateStrategy,
  ResolvedGlia,
  ResolvedRetries,
} from "./types.ts";
