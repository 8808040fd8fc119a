/**
 * @module
 * The NATS identities of a cluster's pods: one NKey per role (the gateways, each API's workers, the
 * deploy Jobs, and one for `glia get`/`logs` through a port-forward), each with only its role's
 * permissions (jobs/permissions.ts), as `glia up` gives its own processes. The seeds stay in files
 * beside the manifests that kustomize turns into Secrets; the NATS configuration and the manifests
 * hold public keys and Secret references only.
 */
import type { IEnvVar, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { inboxPrefix, serverUser, type NatsRole, type PermissionScope, type ServerUser } from "../jobs/index.ts";

/** Where a pod finds its NKey seed (the Secret's one key, mounted read-only). */
export const NKEY_DIR = "/var/run/glia/nats";
const NKEY_KEY = "nkey";
/** The folder of the output holding the seeds (0700; each seed 0600). */
export const IDENTITIES_DIR = "nats-identities";

/** The roles the rendered pods need: the deploy Jobs' (platform), the gateways', the CLI's and each API's workers'. */
export function identityRoles(apis: string[]): NatsRole[] {
  return [
    { kind: "platform" },
    { kind: "gateway" },
    { kind: "cli" },
    ...apis.map((api) => ({ kind: "worker" as const, api })),
  ];
}

/** `platform`, `gateway`, `cli` or `worker-<api>`. */
export function identityName(role: NatsRole): string {
  return role.kind === "worker" ? `worker-${role.api}` : role.kind;
}

/** The seed's file in the output folder, relative to it. */
export function identityFile(role: NatsRole): string {
  return `${IDENTITIES_DIR}/${identityName(role)}.nk`;
}

/** The Secret kustomize makes of the seed (it appends a hash of the content and renames references). */
export function identitySecretName(role: NatsRole): string {
  return `glia-nats-${identityName(role)}`;
}

/** The public keys of the identities, by {@link identityName}; `cli/` reads or makes the seeds. */
export type PublicKeys = ReadonlyMap<string, string>;

/** The nats-server users of the roles, as `authorization.users` takes them. */
export function serverUsers(roles: NatsRole[], keys: PublicKeys, scope: PermissionScope): ServerUser[] {
  return roles.map((role) => serverUser(publicKeyOf(role, keys), role, scope));
}

function publicKeyOf(role: NatsRole, keys: PublicKeys): string {
  const key = keys.get(identityName(role));
  if (!key) throw new Error(`no NATS public key for ${identityName(role)}`);
  return key;
}

/** What a pod of `role` needs to connect: its seed mounted from the Secret, and the variables naming it. */
export function identityMount(role: NatsRole): { env: IEnvVar[]; volume: IVolume; mount: IVolumeMount } {
  return {
    env: [
      { name: "NATS_NKEY", value: `${NKEY_DIR}/${NKEY_KEY}` },
      { name: "NATS_INBOX_PREFIX", value: inboxPrefix(role) },
    ],
    volume: {
      name: "nats-identity",
      secret: { secretName: identitySecretName(role), defaultMode: 0o400, items: [{ key: NKEY_KEY, path: NKEY_KEY }] },
    },
    mount: { name: "nats-identity", mountPath: NKEY_DIR, readOnly: true },
  };
}

/**
 * kustomization.yaml's `secretGenerator`: a Secret per role a pod runs as, from its seed file. The
 * CLI's identity stays a file only: it is for `glia get`/`logs` run by a person, through a port-forward.
 */
export function identitySecretGenerator(roles: NatsRole[]): Array<Record<string, unknown>> {
  return roles
    .filter((role) => role.kind !== "cli")
    .map((role) => ({
      name: identitySecretName(role),
      files: [`${NKEY_KEY}=${identityFile(role)}`],
      options: { labels: { "app.kubernetes.io/name": "glia", "app.kubernetes.io/managed-by": "glia-render" } },
    }));
}
