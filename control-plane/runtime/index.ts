export {
  RuntimeClient,
  DEFAULT_MAX_MESSAGE_BYTES,
  type HandlerSeries,
  type HandleRequest,
  type HandleResponse,
  type HealthResponse,
} from "./client.ts";
export { RuntimePool, type RuntimeLease } from "./pool.ts";
export { RuntimeProcess, EXIT_HANDLER_LOAD_FAILED, type RuntimeLaunch } from "./process.ts";
export {
  ensureEnvironment,
  defaultCacheDir,
  RUNTIME_ROOT,
  type EnvironmentRequest,
  type PythonEnvironment,
} from "./python-env.ts";
export { handlerEnvironment } from "./project-env.ts";
export {
  EnvironmentBuildError,
  HandlerLoadError,
  ModelFetchError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
} from "./errors.ts";
export { threadsPerRuntime, threadEnvironment, THREAD_VARIABLES } from "./threads.ts";
export { inheritedEnvironment } from "./handler-env.ts";
export { chownTree, runAsOptions, type RunAs } from "./run-as.ts";
export { ensureModels, type EnsuredModels, type ModelCacheOptions } from "./model-cache.ts";
