/**
 * @module
 * The Python runtime: its environments, its processes and their pool, the gRPC client, the
 * model cache. The only public surface of this folder: it exports what other folders use.
 */
export { DEFAULT_MAX_MESSAGE_BYTES, type HandlerSeries, type HandleResponse } from "./client.ts";
export { RuntimePool, type RuntimeLease } from "./pool.ts";
export { type RuntimeLaunch } from "./process.ts";
export { ensureEnvironment, defaultCacheDir, RUNTIME_ROOT } from "./python-env.ts";
export { handlerEnvironment } from "./project-env.ts";
export { EnvironmentBuildError, ModelFetchError, RuntimeTimeoutError } from "./errors.ts";
export { threadsPerRuntime, THREAD_VARIABLES } from "./threads.ts";
export { inheritedEnvironment } from "./handler-env.ts";
export { chownTree, runAsOptions, type RunAs } from "./run-as.ts";
export { ensureModels, type ModelCacheOptions } from "./model-cache.ts";
