/**
 * @module
 * One API's workers: a Deployment of pods running `glia worker` on the project's image, one Python
 * runtime each (KEDA scales the pods), and the ConfigMap holding the spec they serve.
 */
import { basename } from "node:path";
import type { IContainer, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { ConfigMap } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { isModelUrl, modelLocations, type LoadedProject, type ResolvedApiSpec } from "../config/index.ts";
import { objectLabels, selectorLabels, workerName } from "./labels.ts";
import type { ResolvedRenderOptions } from "./options.ts";
import { identityMount } from "./identities.ts";
import { containerSecurityContext, podSecurityContext } from "./pod.ts";

/** Where a worker pod finds its API's spec (the ConfigMap's one key). */
export const SPEC_DIR = "/etc/glia/spec";
const SPEC_KEY = "spec.json";
/** Time a pod keeps after its worker's grace, for the process to stop its runtimes and exit. */
const EXIT_MARGIN_SECONDS = 30;

/**
 * The name `glia build` tags a project's image with: `glia-<project folder>`, lower-cased, anything
 * outside `[a-z0-9._-]` replaced by `-`.
 */
export function defaultImageName(project: LoadedProject): string {
  const name = basename(project.projectDir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "");
  return `glia-${name || "project"}`;
}

export function projectImage(project: LoadedProject, options: ResolvedRenderOptions): string {
  const tag = options.imageTag === null ? "" : `:${options.imageTag}`;
  return `${options.imagePrefix}${defaultImageName(project)}${tag}`;
}

/**
 * The spec a worker pod serves: the API's, with one runtime per pod (the pod's requests are one
 * runtime's `compute`), since the cluster scales pods rather than the worker scaling runtimes.
 */
export function podSpecOf(api: ResolvedApiSpec): ResolvedApiSpec {
  return { ...api, autoscaling: { ...api.autoscaling, minReplicas: 1, maxReplicas: 1, initReplicas: 1 } };
}

export function workerConfigMap(api: ResolvedApiSpec): ConfigMap {
  return new ConfigMap({
    metadata: { name: workerName(api.name), labels: objectLabels("worker", api.name) },
    data: { [SPEC_KEY]: `${JSON.stringify(podSpecOf(api), null, 2)}\n` },
  });
}

/** Seconds a running request may take to finish once its pod is told to stop: the API's deadline. */
export function graceSeconds(api: ResolvedApiSpec, options: ResolvedRenderOptions): number {
  return api.glia.timeoutSeconds ?? options.requestTimeoutSeconds;
}

/** The `glia worker` command line (after the image's `glia` entry point). */
export function workerArgs(api: ResolvedApiSpec, options: ResolvedRenderOptions): string[] {
  const { layout } = options;
  const args = ["worker", "--api", api.name, "--project", layout.projectDir];
  args.push("--spec-file", `${SPEC_DIR}/${SPEC_KEY}`, "--nats-url", options.natsUrl);
  // The API's deploy Job made its queue; the worker's NATS identity may only use it.
  args.push("--provisioned");
  args.push("--python", `${layout.cacheDir}/apis/${api.name}/bin/python`);
  args.push("--request-timeout", String(options.requestTimeoutSeconds));
  args.push("--replicas", String(options.natsReplicas), "--grace", String(graceSeconds(api, options)));
  // The pod's GPUs are numbered from 0 inside its container; its one runtime gets them all.
  if (api.compute.gpu > 0) args.push("--gpus", Array.from({ length: api.compute.gpu }, (_, i) => i).join(","));
  args.push("--log-level", "info");
  return args;
}

/** `compute.cpu`/`compute.mem` as requests (memory also as the limit), `compute.gpu` as `nvidia.com/gpu`. */
export function workerResources(api: ResolvedApiSpec): NonNullable<IContainer["resources"]> {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (api.compute.cpu !== null) requests["cpu"] = api.compute.cpu;
  if (api.compute.mem !== null) requests["memory"] = limits["memory"] = api.compute.mem;
  if (api.compute.gpu > 0) limits["nvidia.com/gpu"] = String(api.compute.gpu);
  return { requests, limits };
}

function workerVolumes(api: ResolvedApiSpec): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const identity = identityMount({ kind: "worker", api: api.name });
  const volumes: IVolume[] = [{ name: "spec", configMap: { name: workerName(api.name) } }, identity.volume];
  const mounts: IVolumeMount[] = [{ name: "spec", mountPath: SPEC_DIR, readOnly: true }, identity.mount];
  if (api.handler.shmSize !== null) {
    volumes.push({ name: "shm", emptyDir: { medium: "Memory", sizeLimit: api.handler.shmSize } });
    mounts.push({ name: "shm", mountPath: "/dev/shm" });
  }
  return { volumes, mounts };
}

/** `"25%"` stays a percentage; `"1"` becomes the integer Kubernetes requires. */
export function intOrPercent(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Whether the API's workers fetch models from object storage (`s3://`), and so need AWS settings. */
export function fetchesModels(api: ResolvedApiSpec): boolean {
  return modelLocations(api.handler.models).some(({ value }) => isModelUrl(value));
}

export function workerDeployment(
  project: LoadedProject,
  api: ResolvedApiSpec,
  options: ResolvedRenderOptions,
): Deployment {
  const { volumes, mounts } = workerVolumes(api);
  const container: IContainer = {
    name: "worker",
    image: projectImage(project, options),
    args: workerArgs(api, options),
    env: identityMount({ kind: "worker", api: api.name }).env,
    // The worker hands these to its model fetcher only, never to the runtime it starts.
    ...(fetchesModels(api) && options.awsSecret !== null
      ? { envFrom: [{ secretRef: { name: options.awsSecret } }] }
      : {}),
    resources: workerResources(api),
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
  return new Deployment({
    metadata: { name: workerName(api.name), labels: objectLabels("worker", api.name) },
    spec: {
      replicas: api.autoscaling.initReplicas,
      selector: { matchLabels: selectorLabels("worker", api.name) },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: {
          maxSurge: intOrPercent(api.updateStrategy.maxSurge),
          maxUnavailable: intOrPercent(api.updateStrategy.maxUnavailable),
        },
      },
      template: {
        metadata: { labels: selectorLabels("worker", api.name) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(options.layout.user),
          terminationGracePeriodSeconds: graceSeconds(api, options) + EXIT_MARGIN_SECONDS,
          // GPU nodes are commonly tainted so only pods asking for GPUs land there.
          ...(api.compute.gpu > 0
            ? { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }
            : {}),
          containers: [container],
          volumes,
        },
      },
    },
  });
}
