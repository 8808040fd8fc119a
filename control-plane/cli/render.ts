/**
 * @module
 * `glia render k8s`: writes the Kubernetes manifests (a kustomization) that run projects' APIs
 * behind glia's gateway, for `kubectl apply -k <dir>`.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { gliaEnvironment, loadProject } from "../config/index.ts";
import { manifestTexts, renderManifestFiles, resolveRenderOptions, type RenderOptions } from "../render/index.ts";
import { CPU_BASE_IMAGE, IMAGE_PROJECT_DIR, IMAGE_USER } from "./image.ts";
import { say, wholeNumber } from "./flags.ts";

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
  natsSecret?: string;
  natsSecretKey?: string;
  natsReplicas?: string;
  requestTimeout?: string;
  namespace?: string;
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
    natsSecret: flags.natsSecret,
    natsSecretKey: flags.natsSecretKey,
    natsReplicas: whole("--nats-replicas", flags.natsReplicas),
    requestTimeoutSeconds: whole("--request-timeout", flags.requestTimeout),
    namespace: flags.namespace ?? null,
  };
}

/** Loads the projects (the current folder when none is named), renders them and writes the files. */
export async function runRenderK8s(targets: string[], flags: RenderK8sFlags): Promise<void> {
  const base = gliaEnvironment().invocationDir;
  const named = targets.length ? targets : ["."];
  const projects = await Promise.all(named.map((target) => loadProject(resolve(base, target))));
  for (const warning of projects.flatMap((p) => p.warnings)) say(`warning: ${warning}`);
  const options = resolveRenderOptions(renderOptionsFrom(flags));
  const texts = manifestTexts(renderManifestFiles(projects, options), options.namespace);
  const out = resolve(base, flags.out);
  const created = !existsSync(out);
  await mkdir(out, { recursive: true, mode: 0o700 });
  if (created) await chmod(out, 0o700);
  for (const [name, text] of texts) await writeFile(join(out, name), text, { mode: 0o600 });
  const shown = relative(base, out) || ".";
  say(`wrote ${[...texts.keys()].join(", ")} to ${shown}; apply with: kubectl apply -k ${shown}`);
  say(
    `the cluster needs KEDA, a NATS with JetStream at ${options.natsUrl}, and the Secret ${options.natsSecret} (key ${options.natsSecretKey}: the NATS token)`,
  );
}
