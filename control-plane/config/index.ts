/**
 * @module
 * `cortex.yaml`: loading a project and resolving its AsyncAPI specs, the rules a registry entry
 * read back is held to, and glia's environment variables. The only public surface of this folder:
 * it exports what other folders use.
 */
export { ConfigError } from "./errors.ts";
export { CONFIG_FILE_NAME, loadProject } from "./load.ts";
export { claimEndpoints, standingClaims, type ClaimProblem } from "./endpoints.ts";
export { checkRegistryEntry, checkResolvedSpec, RegistryEntryError } from "./registry-entry.ts";
export { parseQuantity, quantityToNumber } from "./quantity.ts";
export { durationToSeconds, parseDuration } from "./duration.ts";
export { DEFAULT_RETRIES } from "./resolve-glia.ts";
export { isModelUrl, modelLocations, parseModelUrl, type ModelUrl } from "./model-locations.ts";
export { cacheDir, defaultDataDir, gliaEnvironment, stateFilePath, type GliaEnvironment } from "./env.ts";
export type { DeployedApi, LoadedProject, ResolvedApiSpec, ResolvedRetries } from "./types.ts";
