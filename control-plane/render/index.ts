/**
 * @module
 * `glia render`: Kubernetes manifests for glia's gateway and projects' APIs, built as typed objects.
 * The only public surface of this folder.
 */
export { RenderError } from "./errors.ts";
export { resolveRenderOptions, type ImageLayout, type RenderOptions, type ResolvedRenderOptions } from "./options.ts";
export {
  kustomization,
  manifestTexts,
  NATS_VALUES_FILE,
  renderKubernetes,
  renderManifestFiles,
  renderNatsValues,
  renderRoles,
  renderWarnings,
  type KubernetesObject,
  type ManifestFile,
} from "./render.ts";
export { identityFile, identityName, IDENTITIES_DIR, type PublicKeys } from "./identities.ts";
export { defaultImageName } from "./worker.ts";
export { API_LABEL } from "./labels.ts";
