/**
 * @module
 * NATS for the cluster, from the official chart (`helm install nats nats/nats -f nats-values.yaml`):
 * the values file glia needs (JetStream on a file-store volume, a three-node cluster, the monitoring
 * port KEDA reads, glia's largest message, every pod's identity), and the NetworkPolicy that lets only
 * glia's pods, the other NATS nodes and KEDA reach it.
 */
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { NATS_MAX_PAYLOAD_BYTES, type NatsRole } from "../jobs/index.ts";
import { serverUsers, type PublicKeys } from "./identities.ts";
import { objectLabels } from "./labels.ts";
import type { ResolvedRenderOptions } from "./options.ts";

/** The nats-server glia is built and tested with; the chart's image is pinned to it. */
export const NATS_SERVER_VERSION = "2.15.1";
const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;

/** The chart's values: what differs from its defaults, for a release named {@link ResolvedRenderOptions.natsRelease}. */
export function natsHelmValues(
  options: ResolvedRenderOptions,
  roles: NatsRole[],
  keys: PublicKeys,
): Record<string, unknown> {
  return {
    config: {
      cluster: { enabled: options.natsReplicas > 1, replicas: Math.max(options.natsReplicas, 3) },
      jetstream: {
        enabled: true,
        fileStore: { enabled: true, dir: "/data", pvc: { enabled: true, size: options.natsStorage } },
      },
      monitor: { enabled: true, port: MONITOR_PORT },
      merge: {
        max_payload: NATS_MAX_PAYLOAD_BYTES,
        // Public keys and permissions only: the seeds are in the pods' Secrets.
        authorization: { users: serverUsers(roles, keys, { clustered: options.natsReplicas > 1 }) },
      },
    },
    container: { image: { repository: "nats", tag: `${NATS_SERVER_VERSION}-alpine` } },
    // nats-box would hold no identity that the authorization above accepts.
    natsBox: { enabled: false },
  };
}

/** The chart's labels on its NATS pods. */
function natsPodLabels(options: ResolvedRenderOptions): Record<string, string> {
  return {
    "app.kubernetes.io/name": "nats",
    "app.kubernetes.io/instance": options.natsRelease,
    "app.kubernetes.io/component": "nats",
  };
}

/**
 * Clients (4222) only from glia's pods, routes (6222) only from the other NATS nodes, monitoring
 * (8222) only from KEDA's namespace, where its operator reads the queues' lag.
 */
export function natsNetworkPolicy(options: ResolvedRenderOptions): NetworkPolicy {
  const nats = natsPodLabels(options);
  return new NetworkPolicy({
    metadata: { name: "glia-nats", labels: objectLabels("nats") },
    spec: {
      podSelector: { matchLabels: nats },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "glia" } } }],
          ports: [{ protocol: "TCP", port: CLIENT_PORT }],
        },
        { from: [{ podSelector: { matchLabels: nats } }], ports: [{ protocol: "TCP", port: ROUTE_PORT }] },
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": options.kedaNamespace } } }],
          ports: [{ protocol: "TCP", port: MONITOR_PORT }],
        },
      ],
    },
  });
}
