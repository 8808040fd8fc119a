/**
 * @module
 * `glia render k8s`: writes the Kubernetes manifests (a kustomization) that run projects' APIs
 * behind glia's gateway, for `kubectl apply -k <dir>`.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { gliaEnvironment, loadProject } from "../config/index.ts";
import type { NatsRole } from "../jobs/index.ts";
import {
  IDENTITIES_DIR,
  identityFile,
  identityName,
  manifestTexts,
  NATS_VALUES_FILE,
  renderManifestFiles,
  renderNatsValues,
  renderRoles,
  renderWarnings,
  resolveRenderOptions,
  type PublicKeys,
  type RenderOptions,
} from "../render/index.ts";
import { CPU_BASE_IMAGE, IMAGE_PROJECT_DIR, IMAGE_USER } from "./image.ts";
import { say, UsageError, wholeNumber } from "./flags.ts";

/** `GLIA_CACHE_DIR` in `Dockerfile.cpu` and `Dockerfile.gpu`, where `glia build --prepare` links each API's environment. */
export const IMAGE_CACHE_DIR = "/var/cache/glia";

export interface RenderK8sFlags {
  out: string;
  imagePrefix?: string;
  imageTag?: string;
  gatewayImage?: string;
  gatewayReplicas?: string;
  natsUrl?: string;
  natsMonitoring?: string;
  natsAccount?: string;
  natsRelease?: string;
  natsStorage?: string;
  kedaNamespace?: string;
  natsReplicas?: string;
  requestTimeout?: string;
  namespace?: string;
  awsSecret?: string;
}

/** The render options the flags ask for; the images' layout comes from `glia build`'s constants. */
export function renderOptionsFrom(flags: RenderK8sFlags): RenderOptions {
  const whole = (flag: string, text: string | undefined): number | undefined =>
    text === undefined ? undefined : wholeNumber(flag, text);
  const prefix = flags.imagePrefix ?? "";
  return {
    layout: { projectDir: IMAGE_PROJECT_DIR, user: IMAGE_USER, cacheDir: IMAGE_CACHE_DIR },
    gatewayImage: flags.gatewayImage ?? `${prefix}${CPU_BASE_IMAGE}`,
    imagePrefix: prefix,
    imageTag: flags.imageTag ?? null,
    gatewayReplicas: whole("--gateway-replicas", flags.gatewayReplicas),
    natsUrl: flags.natsUrl,
    natsMonitoringEndpoint: flags.natsMonitoring,
    natsAccount: flags.natsAccount,
    natsRelease: flags.natsRelease,
    natsStorage: flags.natsStorage,
    kedaNamespace: flags.kedaNamespace,
    natsReplicas: whole("--nats-replicas", flags.natsReplicas),
    requestTimeoutSeconds: whole("--request-timeout", flags.requestTimeout),
    namespace: flags.namespace ?? null,
    awsSecret: flags.awsSecret ?? null,
  };
}

/** Loads the projects (the current folder when none is named), renders them and writes the files. */
export async function runRenderK8s(targets: string[], flags: RenderK8sFlags): Promise<void> {
  const base = gliaEnvironment().invocationDir;
  const named = targets.length ? targets : ["."];
  const projects = await Promise.all(named.map((target) => loadProject(resolve(base, target))));
  for (const warning of projects.flatMap((p) => p.warnings)) say(`warning: ${warning}`);
  const options = resolveRenderOptions(renderOptionsFrom(flags));
  const files = renderManifestFiles(projects, options);
  for (const warning of renderWarnings(projects, options)) say(`warning: ${warning}`);
  const roles = renderRoles(projects);
  const out = resolve(base, flags.out);
  await privateFolder(out);
  const keys = await identityKeys(out, roles);
  const natsValues = renderNatsValues(projects, options, keys);
  const texts = manifestTexts(files, { namespace: options.namespace, roles, natsValues });
  for (const [name, text] of texts) await writeFile(join(out, name), text, { mode: 0o600 });
  const shown = relative(base, out) || ".";
  say(`wrote ${[...texts.keys()].join(", ")} and ${IDENTITIES_DIR}/ to ${shown}`);
  say(`NATS:  helm install ${options.natsRelease} nats/nats -f ${join(shown, NATS_VALUES_FILE)}`);
  say(`glia:  kubectl apply -k ${shown}   (the cluster needs KEDA, in the namespace ${options.kedaNamespace})`);
  say(
    `${IDENTITIES_DIR}/ holds the NATS identities' private seeds: keep it out of version control (it has a .gitignore)`,
  );
}

async function privateFolder(dir: string): Promise<void> {
  const created = !existsSync(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created) await chmod(dir, 0o700);
}

/**
 * Each role's NKey public key: from its seed in `<out>/nats-identities/` when one is there (so
 * rendering again keeps the identities the cluster knows), else from a new seed written there (0600).
 */
async function identityKeys(out: string, roles: NatsRole[]): Promise<PublicKeys> {
  const dir = join(out, IDENTITIES_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // also when it was there already
  await writeFile(join(dir, ".gitignore"), "# NKey seeds: secrets, never committed.\n*.nk\n", { mode: 0o600 });
  const keys = new Map<string, string>();
  for (const role of roles) {
    const file = join(out, identityFile(role));
    keys.set(identityName(role), existsSync(file) ? await publicKeyOf(file) : await newSeed(file));
  }
  return keys;
}

async function publicKeyOf(file: string): Promise<string> {
  const seed = (await readFile(file, "utf8")).trim();
  try {
    return nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  } catch {
    // The seed itself is not shown: it is a secret.
    throw new UsageError(`${file} is not an NKey user seed; delete it to have a new identity made`);
  }
}

async function newSeed(file: string): Promise<string> {
  const pair = nkeys.createUser();
  await writeFile(file, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600, flag: "wx" });
  return pair.getPublicKey();
}
