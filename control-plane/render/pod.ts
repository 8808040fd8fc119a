/** What every glia pod shares: a non-root, locked-down security context. */
import type { IPodSecurityContext, ISecurityContext } from "kubernetes-models/v1";

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
