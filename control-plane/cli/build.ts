import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { gliaEnvironment, loadProject, type LoadedProject } from "../config/index.ts";
import { GliaError } from "../errors.ts";
import {
  chooseBase,
  IMAGE_PORT,
  prepareEnvironments,
  renderDockerignore,
  renderProjectDockerfile,
  type BaseChoice,
} from "./image.ts";
import { defaultImageName } from "../render/index.ts";
import { say } from "./flags.ts";

const DOCKER_INFO_TIMEOUT_MS = 30_000;

export interface BuildFlags {
  tag?: string;
  output?: string;
  base?: string;
  /** False with `--no-build`. */
  build: boolean;
  prepare?: boolean;
}

/** `docker build` ran and failed. */
export class ImageBuildError extends GliaError {
  constructor(message: string) {
    super("IMAGE_BUILD_FAILED", message);
  }
}

/**
 * `glia build [project]`: writes a Dockerfile that puts the project on glia's CPU or GPU image,
 * prints the `docker build` command, and runs it when a Docker engine answers. With `--prepare`
 * (what that Dockerfile runs inside the image) it builds the project's Python environments instead.
 */
export async function runBuild(target: string, flags: BuildFlags): Promise<void> {
  // `npm run glia -- build ./x` runs in the package folder; INIT_CWD is where the user typed it.
  const cwd = gliaEnvironment().invocationDir;
  const project = await loadProject(resolve(cwd, target));
  project.warnings.forEach((w) => say(`warning: ${w}`));
  if (flags.prepare) return prepare(project);
  const base = chooseBase(project, flags.base);
  const dockerfile = resolve(cwd, flags.output ?? join(project.projectDir, ".glia", "Dockerfile"));
  await writeBuildFiles(project, base, dockerfile);
  say(`wrote ${shown(cwd, dockerfile)} and its .dockerignore (base ${base.image}: ${base.reason})`);
  const tag = flags.tag ?? defaultImageName(project); // the name glia render k8s gives pods
  const args = ["build", "-t", tag, "-f", shown(cwd, dockerfile), shown(cwd, project.projectDir)];
  const docker = gliaEnvironment().docker;
  process.stdout.write(`${[docker, ...args].map(quote).join(" ")}\n`);
  if (!flags.build) return say("not building (--no-build): run the command above to build the image");
  const absent = await dockerAbsent(docker);
  if (absent) return say(`not building: ${absent}; run the command above where a Docker engine runs`);
  await runDocker(docker, args, cwd);
  const gpus = base.gpu ? "--gpus all " : "";
  say(`built ${tag}; serve it with: docker run --rm ${gpus}-p ${IMAGE_PORT}:${IMAGE_PORT} ${tag}`);
}

async function prepare(project: LoadedProject): Promise<void> {
  const imageVenv = gliaEnvironment().imageVenv;
  const prepared = await prepareEnvironments(project, { onProgress: say, imageVenv });
  for (const env of prepared) {
    say(`Python environment for ${env.apis.join(", ")} ${env.cached ? "reused" : "built"}: ${env.dir}`);
    say(`  linked as ${env.links.join(", ")} (for glia worker --python <link>/bin/python)`);
  }
}

async function writeBuildFiles(project: LoadedProject, base: BaseChoice, dockerfile: string): Promise<void> {
  const ownIgnore = await readFile(join(project.projectDir, ".dockerignore"), "utf8").catch(() => null);
  const inside = [dockerfile, `${dockerfile}.dockerignore`]
    .map((file) => relative(project.projectDir, file))
    .filter((rel) => !rel.startsWith("..") && !isAbsolute(rel) && !rel.startsWith(".glia/"));
  await mkdir(dirname(dockerfile), { recursive: true });
  await writeFile(dockerfile, renderProjectDockerfile(project, base));
  await writeFile(`${dockerfile}.dockerignore`, renderDockerignore(ownIgnore, inside));
}

/** `glia-<project folder>`, made a valid image name. */
/** Why Docker cannot build here, or null when `docker info` answers. */
function dockerAbsent(docker: string): Promise<string | null> {
  return new Promise((done) => {
    const child = spawn(docker, ["info"], { stdio: ["ignore", "ignore", "pipe"] });
    // not spawn's own `timeout`: its timer outlives a docker that never started, keeping glia waiting
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done(`\`${docker} info\` did not answer within ${DOCKER_INFO_TIMEOUT_MS / 1000} s`);
    }, DOCKER_INFO_TIMEOUT_MS).unref();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(err.code === "ENOENT" ? `Docker is not installed (no \`${docker}\` command)` : `${docker}: ${err.message}`);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) return done(null);
      const last = stderr.trim().split("\n").at(-1) ?? "";
      done(`no Docker engine answers (\`${docker} info\` exited with ${code}${last ? `: ${last}` : ""})`);
    });
  });
}

function runDocker(docker: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    // docker's own output goes to stderr with glia's other human-facing lines
    const child = spawn(docker, args, { cwd, stdio: ["ignore", 2, 2] });
    child.on("error", (err) => fail(new ImageBuildError(`could not run ${docker}: ${err.message}`)));
    child.on("exit", (code) => {
      if (code === 0) done();
      else fail(new ImageBuildError(`\`${docker} ${args.join(" ")}\` failed with status ${code}; its output is above`));
    });
  });
}

/** A path as the user would type it from `cwd`: relative below it, absolute elsewhere. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
