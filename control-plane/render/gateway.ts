/**
 * @module
 * The gateway: a Deployment running `glia gateway`, its public Service, a PodDisruptionBudget, and
 * one `api-<name>` Service per API in front of its internal listener (how handlers chain calls).
 */
import type { IContainer } from "kubernetes-models/v1";
import { Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { chainServiceName, GATEWAY_NAME, objectLabels, selectorLabels } from "./labels.ts";
import type { ResolvedRenderOptions } from "./options.ts";
import { identityMount } from "./identities.ts";
import { podSecurityContext, containerSecurityContext } from "./pod.ts";

/** The gateway's public port, in the pod and on its Service's target. */
export const GATEWAY_PORT = 8080;
/** The port handlers reach other APIs at (`http://api-<name>:8888/`), and the gateway's internal listener. */
export const CHAIN_PORT = 8888;

/** The `glia gateway` command line (after the image's `glia` entry point). */
export function gatewayArgs(options: ResolvedRenderOptions): string[] {
  return [
    "gateway",
    "--nats-url",
    options.natsUrl,
    "--host",
    "0.0.0.0",
    "--port",
    String(GATEWAY_PORT),
    // Other pods reach it through the api-<name> Services, so it listens on the pod's address.
    "--internal-host",
    "0.0.0.0",
    "--internal-port",
    String(CHAIN_PORT),
    "--replicas",
    String(options.natsReplicas),
    "--log-level",
    "info",
  ];
}

const IDENTITY = identityMount({ kind: "gateway" });

function gatewayContainer(options: ResolvedRenderOptions): IContainer {
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    name: "gateway",
    image: options.gatewayImage,
    args: gatewayArgs(options),
    ports: [
      { name: "http", containerPort: GATEWAY_PORT, protocol: "TCP" },
      { name: "internal", containerPort: CHAIN_PORT, protocol: "TCP" },
    ],
    env: [
      ...IDENTITY.env,
      // API keys the public listener requires, when the Secret exists (see README).
      {
        name: "GLIA_API_KEYS",
        valueFrom: { secretKeyRef: { name: "glia-api-keys", key: "keys", optional: true } },
      },
    ],
    livenessProbe: probe("/healthz", 10),
    readinessProbe: probe("/readyz", 5),
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    securityContext: { ...containerSecurityContext(), readOnlyRootFilesystem: true },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, IDENTITY.mount],
  };
}

export function gatewayDeployment(options: ResolvedRenderOptions): Deployment {
  return new Deployment({
    metadata: { name: GATEWAY_NAME, labels: objectLabels("gateway") },
    spec: {
      replicas: options.gatewayReplicas,
      selector: { matchLabels: selectorLabels("gateway") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: selectorLabels("gateway") },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(options.layout.user),
          // The gateway answers the requests in flight on SIGTERM; long polls end within this.
          terminationGracePeriodSeconds: 60,
          containers: [gatewayContainer(options)],
          volumes: [{ name: "tmp", emptyDir: {} }, IDENTITY.volume],
        },
      },
    },
  });
}

export function gatewayService(): Service {
  return new Service({
    metadata: { name: GATEWAY_NAME, labels: objectLabels("gateway") },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels("gateway"),
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    },
  });
}

export function gatewayDisruptionBudget(): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: GATEWAY_NAME, labels: objectLabels("gateway") },
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels("gateway") } },
  });
}

/** `api-<name>`: port 8888 on the gateway's internal listener, so `http://api-<name>:8888/` reaches the API. */
export function chainService(api: string): Service {
  return new Service({
    metadata: { name: chainServiceName(api), labels: objectLabels("gateway", api) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels("gateway"),
      ports: [{ name: "http", port: CHAIN_PORT, targetPort: "internal", protocol: "TCP" }],
    },
  });
}
