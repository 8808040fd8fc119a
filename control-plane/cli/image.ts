/**
 * @module
 * `glia build`: the Dockerfile that puts a project on glia's CPU or GPU image, and the Python
 * environments that Dockerfile prepares at image build time (`glia build --prepare`).
 */
import { execFile } from "node:child_process";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { CONFIG_FILE_NAME, type LoadedProject } from "../config/index.ts";
import { defaultCacheDir, EnvironmentBuildError, ensureEnvironment } from "../runtime/index.ts";

/** The version of glia's own images (`Dockerfile.cpu`, `Dockerfile.gpu`, `gpu-images/*`); package.json's. */
export const GLIA_IMAGE_VERSION = "0.1.0";
/** The tag `Dockerfile.cpu` is built as (see README, "Images"). */
export const CPU_BASE_IMAGE = `glia-cpu:${GLIA_IMAGE_VERSION}`;
/** The tag `Dockerfile.gpu` is built as; every `gpu-images/<framework>/Dockerfile` starts from it. */
export const GPU_BASE_IMAGE = `glia-gpu:${GLIA_IMAGE_VERSION}`;
/** Where a project lives inside an image. */
export const IMAGE_PROJECT_DIR = "/srv/project";
/** The non-root user of every glia image, as `uid:gid` (numeric, so Kubernetes can check runAsNonRoot). */
export const IMAGE_USER = "10001:10001";
/** What an image serves on by default (`glia up --port`). */
export const IMAGE_PORT = 8080;

/** The base image a project is built on, and why that one. */
export interface BaseChoice {
  image: string;
  /** True when an API asks for a GPU (the container then needs `docker run --gpus all`). */
  gpu: boolean;
  /** Says why, e.g. "API classifier asks for compute.gpu: 1". */
  reason: string;
}

/**
 * The GPU base when any API asks for `compute.gpu > 0`, else the CPU base; `override` (`--base`,
 * e.g. a gpu-images framework image) wins either way.
 * @example chooseBase(project).image // "glia-cpu:0.1.0"
 */
export function chooseBase(project: LoadedProject, override?: string): BaseChoice {
  const gpuApi = project.apis.find((api) => api.compute.gpu > 0);
  const gpu = gpuApi !== undefined;
  if (override) return { image: override, gpu, reason: "--base" };
  if (!gpuApi) return { image: CPU_BASE_IMAGE, gpu, reason: "no API asks for a GPU" };
  return { image: GPU_BASE_IMAGE, gpu, reason: `API ${gpuApi.name} asks for compute.gpu: ${gpuApi.compute.gpu}` };
}

/** The project path glia commands get inside the image: the folder, or its config file when not `cortex.yaml`. */
function projectTarget(project: LoadedProject): string {
  const name = basename(project.configFile);
  return name === CONFIG_FILE_NAME ? IMAGE_PROJECT_DIR : `${IMAGE_PROJECT_DIR}/${name}`;
}

/**
 * The Dockerfile for a project, built with the project folder as context: the project is copied
 * to {@link IMAGE_PROJECT_DIR}, its `dependencies.sh` and requirements are installed at build time
 * into the environment `glia up` serves it with, and the default command serves it.
 */
export function renderProjectDockerfile(project: LoadedProject, base: BaseChoice): string {
  const target = projectTarget(project);
  const cmd = ["up", target, "--host", "0.0.0.0", "--port", String(IMAGE_PORT), "--data-dir", "/var/lib/glia"];
  return [
    `# Written by \`glia build\` for ${project.apis.map((a) => a.name).join(", ")}; run glia build again`,
    "# after changing cortex.yaml rather than editing this file. Build context: the project folder.",
    `# Base: ${base.image} (${base.reason}); --build-arg BASE_IMAGE=... builds on another.`,
    `ARG BASE_IMAGE=${base.image}`,
    "FROM ${BASE_IMAGE}",
    "USER root",
    `COPY . ${IMAGE_PROJECT_DIR}`,
    "# Builds the Python environment each API is served with (the runtime's pinned requirements, then",
    "# dependencies.sh, then requirements.txt), as `glia up` would at start, so the container installs",
    "# nothing when it starts. As root, so dependencies.sh may apt-get install.",
    `RUN glia build --prepare ${target} && chown -R ${IMAGE_USER} "$GLIA_CACHE_DIR"`,
    `USER ${IMAGE_USER}`,
    `WORKDIR ${IMAGE_PROJECT_DIR}`,
    `EXPOSE ${IMAGE_PORT}`,
    `CMD [${cmd.map((word) => JSON.stringify(word)).join(", ")}]`,
    "",
  ].join("\n");
}

/**
 * The ignore file BuildKit reads beside the Dockerfile (`<Dockerfile>.dockerignore`; it takes the
 * place of the project's own `.dockerignore`, whose lines are kept at its end): glia's data folder,
 * version control and Python bytecode stay out of the image, as they stay out of what glia serves.
 * @param ownIgnore the project's `.dockerignore`, if it has one
 * @param generated the Dockerfile and this file, relative to the project, when they are inside it
 */
export function renderDockerignore(ownIgnore: string | null, generated: string[]): string {
  const lines = [
    "# Written by `glia build`: what the image leaves out of the project.",
    ".glia",
    ".git",
    "**/__pycache__",
    "**/*.py[cod]",
    ...generated,
  ];
  if (ownIgnore !== null) lines.push("# The project's own .dockerignore:", ownIgnore.trimEnd());
  return `${lines.join("\n")}\n`;
}

/** One Python environment `glia build --prepare` made. */
export interface PreparedEnvironment {
  /** The APIs served with it. */
  apis: string[];
  dir: string;
  cached: boolean;
  /**
   * A stable name for it per API, `<cache>/apis/<api>` (a link), for the cluster's entry point:
   * `glia worker --api <api> --python <cache>/apis/<api>/bin/python`.
   */
  links: string[];
}

export interface PrepareOptions {
  onProgress?: (line: string) => void;
  /**
   * The image's own virtualenv (`GLIA_IMAGE_VENV`, `/opt/glia/venv`, where gpu-images install their
   * framework): each prepared environment sees its packages after its own, so a project on a
   * framework image need not install the framework again. Null outside an image.
   */
  imageVenv?: string | null;
}

/**
 * Builds (or finds) the Python environment of every API, exactly as `glia up` will look it up when
 * it serves the project, and lets each see the image's packages.
 */
export async function prepareEnvironments(
  project: LoadedProject,
  options: PrepareOptions = {},
): Promise<PreparedEnvironment[]> {
  const byFiles = new Map<string, { pip: string; shell: string; apis: string[] }>();
  for (const api of project.apis) {
    const { pip, shell } = api.handler.dependencies;
    const entry = byFiles.get(`${pip}\0${shell}`) ?? { pip, shell, apis: [] };
    entry.apis.push(api.name);
    byFiles.set(`${pip}\0${shell}`, entry);
  }
  const prepared: PreparedEnvironment[] = [];
  for (const { pip, shell, apis } of byFiles.values()) {
    const env = await ensureEnvironment({
      requirementsFile: join(project.projectDir, pip),
      shellFile: join(project.projectDir, shell),
      onProgress: options.onProgress,
    });
    if (options.imageVenv) await seeImagePackages(env.python, options.imageVenv);
    const links = await Promise.all(apis.map((api) => linkForApi(api, env.dir)));
    prepared.push({ apis, dir: env.dir, cached: env.cached, links });
  }
  return prepared;
}

async function linkForApi(api: string, dir: string): Promise<string> {
  const link = join(defaultCacheDir(), "apis", api);
  await mkdir(join(link, ".."), { recursive: true });
  await rm(link, { force: true });
  await symlink(dir, link);
  return link;
}

/** A `.pth` file in the environment's site-packages appends the image venv's to `sys.path`. */
async function seeImagePackages(python: string, imageVenv: string): Promise<void> {
  const own = await sitePackages(python);
  const image = await sitePackages(join(imageVenv, "bin", "python"));
  await writeFile(join(own, "glia-image-packages.pth"), `${image}\n`);
}

async function sitePackages(python: string): Promise<string> {
  const code = "import sysconfig; print(sysconfig.get_path('purelib'))";
  try {
    const { stdout } = await promisify(execFile)(python, ["-c", code]);
    return stdout.trim();
  } catch (err) {
    const message = `could not find the site-packages of ${python} (is GLIA_IMAGE_VENV right?): ${(err as Error).message}`;
    throw new EnvironmentBuildError(message, { cause: err });
  }
}
