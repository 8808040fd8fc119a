/**
 * @module
 * `cortex.yaml`: loading a project and resolving its AsyncAPI specs. The only public surface of
 * this folder.
 */
export { ConfigError, formatIssue, type ConfigIssue } from "./errors.ts";
export { CONFIG_FILE_NAME, loadProject } from "./load.ts";
export { resolveConfig } from "./resolve.ts";
export { canonicalEndpoint } from "./resolve-api.ts";
export {
  claimEndpoints,
  endpointClash,
  endpointsOverlap,
  RESERVED_ENDPOINTS,
  reservedEndpointProblem,
  standingClaims,
  type ClaimProblem,
  type EndpointOwner,
} from "./endpoints.ts";
export {
  BUNDLE_NAME,
  checkRegistryEntry,
  checkResolvedSpec,
  RegistryEntryError,
  resolvedApiSpecSchema,
  type RegistryEntryIssue,
} from "./registry-entry.ts";
export { compareQuantities, parseQuantity, quantityToNumber, type Quantity } from "./quantity.ts";
export { durationToSeconds, parseDuration } from "./duration.ts";
export { DEFAULT_RETRIES } from "./resolve-glia.ts";
export {
  cacheDir,
  defaultDataDir,
  gliaEnvironment,
  SHARED_CACHE_DIR,
  stateFilePath,
  type GliaEnvironment,
} from "./env.ts";
export type {
  DeployedApi,
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
