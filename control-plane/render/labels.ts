/** The Kubernetes labels every rendered object carries, and the selectors built from them. */

/** Which part of glia an object belongs to (`app.kubernetes.io/component`). */
export type Component = "gateway" | "worker" | "deploy" | "nats";

/** The label naming the API an object serves. */
export const API_LABEL = "glia.dev/api";

/** Labels that select a component's pods (and, for a worker, its API's). */
export function selectorLabels(component: Component, api?: string): Record<string, string> {
  const labels: Record<string, string> = { "app.kubernetes.io/name": "glia", "app.kubernetes.io/component": component };
  if (api !== undefined) labels[API_LABEL] = api;
  return labels;
}

/** Labels of an object: its selector labels and who manages it. */
export function objectLabels(component: Component, api?: string): Record<string, string> {
  return { ...selectorLabels(component, api), "app.kubernetes.io/managed-by": "glia-render" };
}

/** The worker Deployment (and its ScaledObject, PodDisruptionBudget, ConfigMap) of an API. */
export function workerName(api: string): string {
  return `glia-worker-${api}`;
}

/** The Service other APIs' handlers reach an API at: `http://api-<name>:8888/`. */
export function chainServiceName(api: string): string {
  return `api-${api}`;
}

export const GATEWAY_NAME = "glia-gateway";
