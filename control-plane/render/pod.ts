/** What every glia pod shares: a non-root, locked-down security context and the NATS token from a Secret. */
import type { IEnvVar, IPodSecurityContext, ISecurityContext } from "kubernetes-models/v1";
import type { ResolvedRenderOptions } from "./options.ts";

/** Runs as the images' own numeric user (`uid:gid`), never root. */
export function podSecurityContext(user: string): IPodSecurityContext {
  const [uid, gid] = user.split(":").map(Number);
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(): ISecurityContext {
  return { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } };
}

/** `NATS_TOKEN`, read from the Secret: glia's NATS client uses it for a server given by URL. */
export function natsTokenEnv(options: ResolvedRenderOptions): IEnvVar {
  return {
    name: "NATS_TOKEN",
    valueFrom: { secretKeyRef: { name: options.natsSecret, key: options.natsSecretKey } },
  };
}
