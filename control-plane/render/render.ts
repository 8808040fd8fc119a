/**
 * @module
 * `glia render k8s`: the Kubernetes objects that run given projects' APIs behind glia's gateway,
 * and the files (a kustomization) they are written as.
 */
import type { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import type { ConfigMap, Service } from "kubernetes-models/v1";
import type { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { Deployment } from "kubernetes-models/apps/v1";
import type { Job } from "kubernetes-models/batch/v1";
import type { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { stringify } from "yaml";
import type { LoadedProject, ResolvedApiSpec } from "../config/index.ts";
import type { NatsRole } from "../jobs/index.ts";
import { deployJob } from "./deploy-job.ts";
import { RenderError } from "./errors.ts";
import { chainService, gatewayDeployment, gatewayDisruptionBudget, gatewayService } from "./gateway.ts";
import { identityRoles, identitySecretGenerator, type PublicKeys } from "./identities.ts";
import { natsHelmValues, natsNetworkPolicy } from "./nats.ts";
import { gatewayNetworkPolicy, workerNetworkPolicy } from "./network.ts";
import { resolveRenderOptions, type RenderOptions, type ResolvedRenderOptions } from "./options.ts";
import { scaledObject, workerDisruptionBudget } from "./scaling.ts";
import { fetchesModels, workerConfigMap, workerDeployment } from "./worker.ts";

export type KubernetesObject =
  ConfigMap | Deployment | Job | NetworkPolicy | PodDisruptionBudget | ScaledObject | Service;

/** The file the NATS chart's values are written to (not a kustomization resource: `helm install -f`). */
export const NATS_VALUES_FILE = "nats-values.yaml";

/** One manifest file of the kustomization: its name in the output folder and the objects in it. */
export interface ManifestFile {
  name: string;
  objects: KubernetesObject[];
}

/**
 * The gateway's objects, the NetworkPolicies, each project's deploy Job, then each API's (its chain
 * Service, spec, workers, scaling, budget).
 */
export function renderKubernetes(projects: LoadedProject[], raw: RenderOptions): KubernetesObject[] {
  return renderManifestFiles(projects, raw).flatMap((file) => file.objects);
}

/**
 * As {@link renderKubernetes}, grouped by file: `gateway.yaml`, `network-policies.yaml`,
 * `deploy-jobs.yaml`, then `api-<name>.yaml` per API.
 */
export function renderManifestFiles(projects: LoadedProject[], raw: RenderOptions): ManifestFile[] {
  const options = resolveRenderOptions(raw);
  const apis = uniqueApis(projects);
  const gateway = [gatewayDeployment(options), gatewayService(), gatewayDisruptionBudget()];
  const policies = [gatewayNetworkPolicy(), workerNetworkPolicy(), natsNetworkPolicy(options)];
  return [
    { name: "gateway.yaml", objects: gateway },
    { name: "network-policies.yaml", objects: policies },
    { name: "deploy-jobs.yaml", objects: projects.map((project) => deployJob(project, options)) },
    ...apis.map(({ project, api }) => ({ name: `api-${api.name}.yaml`, objects: apiObjects(project, api, options) })),
  ];
}

/** What the manifests leave to the person applying them, one line each. */
export function renderWarnings(projects: LoadedProject[], raw: RenderOptions): string[] {
  const options = resolveRenderOptions(raw);
  return uniqueApis(projects)
    .filter(({ api }) => fetchesModels(api) && options.awsSecret === null)
    .map(
      ({ api }) =>
        `API ${api.name} fetches its models from s3://: give --aws-secret NAME (a Secret with AWS_ACCESS_KEY_ID, ` +
        `AWS_SECRET_ACCESS_KEY and AWS_REGION), or give its worker pods an AWS role with a kustomize patch`,
    );
}

/** The NATS identities the rendered pods use, one per role (see identities.ts). */
export function renderRoles(projects: LoadedProject[]): NatsRole[] {
  return identityRoles(uniqueApis(projects).map(({ api }) => api.name));
}

/** The NATS chart's values for these projects, with the identities' public keys. */
export function renderNatsValues(
  projects: LoadedProject[],
  raw: RenderOptions,
  keys: PublicKeys,
): Record<string, unknown> {
  return natsHelmValues(resolveRenderOptions(raw), renderRoles(projects), keys);
}

function apiObjects(project: LoadedProject, api: ResolvedApiSpec, options: ResolvedRenderOptions): KubernetesObject[] {
  return [
    chainService(api.name),
    workerConfigMap(api),
    workerDeployment(project, api, options),
    scaledObject(api, options),
    workerDisruptionBudget(api),
  ];
}

/** Every API of every project, refusing what a cluster cannot run side by side or glia cannot render. */
function uniqueApis(projects: LoadedProject[]): { project: LoadedProject; api: ResolvedApiSpec }[] {
  if (projects.length === 0) throw new RenderError("glia render k8s: give at least one project folder");
  const seen = new Map<string, string>();
  const problems: string[] = [];
  const apis = projects.flatMap((project) => project.apis.map((api) => ({ project, api })));
  for (const { project, api } of apis) {
    const where = `${project.configFile}: API ${api.name}`;
    const first = seen.get(api.name);
    if (first) problems.push(`${where} has the name of an API in ${first}; rename one`);
    seen.set(api.name, project.configFile);
    if (api.compute.inf > 0) problems.push(`${where}: compute.inf (Inferentia) cannot be rendered yet; remove it`);
    if (api.compute.nodeGroups !== null)
      problems.push(
        `${where}: compute.node_groups cannot be rendered yet; remove it or place pods with a kustomize patch`,
      );
  }
  if (problems.length) throw new RenderError(problems.join("\n"));
  return apis;
}

/** The kustomization that lists the files (`kubectl apply -k <dir>`) and makes each role's NKey Secret. */
export function kustomization(files: string[], namespace: string | null, roles: NatsRole[]): Record<string, unknown> {
  return {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(namespace === null ? {} : { namespace }),
    resources: files,
    secretGenerator: identitySecretGenerator(roles),
  };
}

/**
 * Each file's text (YAML documents apart by `---`), `kustomization.yaml` listing them, and the
 * NATS chart's values.
 */
export function manifestTexts(
  files: ManifestFile[],
  context: { namespace: string | null; roles: NatsRole[]; natsValues: Record<string, unknown> },
): Map<string, string> {
  const texts = new Map<string, string>();
  const header = "# Written by `glia render k8s`; render again after changing cortex.yaml rather than editing.\n";
  for (const file of files) {
    const docs = file.objects.map((object) => stringify(object.toJSON(), { lineWidth: 0 }));
    texts.set(file.name, header + docs.join("---\n"));
  }
  const names = files.map((file) => file.name);
  texts.set("kustomization.yaml", header + stringify(kustomization(names, context.namespace, context.roles)));
  const install =
    "# helm repo add nats https://nats-io.github.io/k8s/helm/charts/\n# helm install nats nats/nats -f nats-values.yaml\n";
  texts.set(NATS_VALUES_FILE, header + install + stringify(context.natsValues, { lineWidth: 0 }));
  return texts;
}
