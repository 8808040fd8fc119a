/**
 * @module
 * NetworkPolicies: the gateway's public port is open, its internal listener (how handlers reach
 * `http://api-<name>:8888/`) only to worker pods; worker pods take no connections at all.
 */
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { CHAIN_PORT, GATEWAY_PORT } from "./gateway.ts";
import { GATEWAY_NAME, objectLabels, selectorLabels } from "./labels.ts";

export function gatewayNetworkPolicy(): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: GATEWAY_NAME, labels: objectLabels("gateway") },
    spec: {
      podSelector: { matchLabels: selectorLabels("gateway") },
      policyTypes: ["Ingress"],
      ingress: [
        { ports: [{ protocol: "TCP", port: GATEWAY_PORT }] },
        {
          from: [{ podSelector: { matchLabels: selectorLabels("worker") } }],
          ports: [{ protocol: "TCP", port: CHAIN_PORT }],
        },
      ],
    },
  });
}

/** Every API's worker pods: no ingress (a worker pulls its work from NATS and serves nothing). */
export function workerNetworkPolicy(): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: "glia-worker", labels: objectLabels("worker") },
    spec: { podSelector: { matchLabels: selectorLabels("worker") }, policyTypes: ["Ingress"], ingress: [] },
  });
}
