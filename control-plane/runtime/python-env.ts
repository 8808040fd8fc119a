import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { cacheDir, gliaEnvironment } from "../config/index.ts";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { EnvironmentBuildError } from "./errors.ts";
import { holdFileLock } from "./file-lock.ts";
import { inheritedEnvironment } from "./handler-env.ts";
import { chownTree, runAsOptions, type RunAs } from "./run-as.ts";

/** The folder holding the `glia_runtime` package; put on the runtime's PYTHONPATH. */
export const RUNTIME_ROOT = fileURLToPath(new URL("../../python-runtime", import.meta.url));

const RUNTIME_LOCK = join(RUNTIME_ROOT, "requirements.lock");
const READY_MARK = ".glia-ready";
/** Bump when the layout of a cached environment changes, so old ones are not reused. */
const FORMAT = "glia-env-2";

export interface EnvironmentRequest {
  /** Absolute path of the project's pip requirements file; it may not exist. */
  requirementsFile: string;
  /**
   * Absolute path of the project's shell script (`dependencies.sh`); it may not exist. It runs with
   * `bash -e` in the project folder, with the environment's `bin/` first on PATH, before the pip install.
   */
  shellFile?: string;
  /** The interpreter environments are made from. @default $GLIA_PYTHON or "python3" */
  basePython?: string;
  /** Where environments are cached. @default $GLIA_CACHE_DIR, else $XDG_CACHE_HOME/glia, else ~/.cache/glia */
  cacheDir?: string;
  /** Receives each line of progress (venv creation, pip output). */
  onProgress?: (line: string) => void;
  /**
   * Build as this user (glia running as root with `--run-as`): the environment is that user's, in
   * a cache of its own (`<cache>/users/<user>`), and `dependencies.sh` runs as it, in a copy of
   * the project it owns.
   */
  runAs?: RunAs;
  /** The project folder holding both files, copied for `runAs`. @default the shell file's folder */
  projectDir?: string;
}

export interface PythonEnvironment {
  /** The environment's interpreter. */
  python: string;
  dir: string;
  /** Whether it was already built. */
  cached: boolean;
}

/**
 * Returns a virtualenv with the runtime's and the project's requirements installed, building it
 * on first use. Environments are cached by a hash of both requirement files and the base Python.
 * One is built where it will be used (a venv's scripts name their interpreter by absolute path, so
 * it cannot be moved), by one process at a time, and counts as built only once its ready mark is
 * written, so a build that failed or was killed is started again.
 */
export async function ensureEnvironment(request: EnvironmentRequest): Promise<PythonEnvironment> {
  const basePython = request.basePython ?? gliaEnvironment().python;
  const projectReqs = await readFile(request.requirementsFile, "utf8").catch(() => null);
  const script = request.shellFile ? await readFile(request.shellFile, "utf8").catch(() => null) : null;
  const key = await environmentKey(basePython, [projectReqs ?? "", script ?? ""]);
  const root = userCache(request.cacheDir ?? defaultCacheDir(request.runAs), request.runAs);
  const dir = join(root, "venvs", key);
  const python = join(dir, "bin", "python");
  if (await exists(join(dir, READY_MARK))) return { python, dir, cached: true };
  await mkdir(join(dir, ".."), { recursive: true, mode: 0o755 });
  if (request.runAs) {
    await chownTree(root, request.runAs);
    await chmod(root, 0o700); // the user's environments are its own
  }
  const release = await holdFileLock(
    `${dir}.build-lock`,
    basePython,
    () => exists(join(dir, READY_MARK)),
    (message) => new EnvironmentBuildError(message),
  );
  try {
    if (await exists(join(dir, READY_MARK))) return { python, dir, cached: true }; // built while we waited
    await rm(dir, { recursive: true, force: true }); // what a failed or killed build left
    await build(dir, basePython, request, projectReqs !== null, script !== null, root);
    return { python, dir, cached: false };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err instanceof EnvironmentBuildError
      ? err
      : new EnvironmentBuildError(`could not build the Python environment: ${(err as Error).message}`, { cause: err });
  } finally {
    await release();
  }
}

async function build(
  dir: string,
  basePython: string,
  request: EnvironmentRequest,
  hasRequirements: boolean,
  hasScript: boolean,
  root: string,
): Promise<void> {
  const progress = request.onProgress ?? (() => {});
  progress(`creating a Python environment in ${dir}`);
  // pip runs the packages' own build code and dependencies.sh is the project's: neither sees a
  // secret of glia's environment, only what a handler sees, plus pip's own settings.
  const as = runAsOptions(request.runAs);
  const env = { ...inheritedEnvironment(process.env, { forPip: true }), ...as.env };
  if (request.runAs) env["HOME"] = root; // the user's own cache, for pip's
  const ids = { uid: as.uid, gid: as.gid };
  await run(basePython, ["-m", "venv", dir], progress, { env, ...ids });
  const pip = [
    join(dir, "bin", "python"),
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--progress-bar",
    "off",
  ];
  progress("installing the runtime's requirements (grpcio, protobuf)");
  await run(pip[0]!, [...pip.slice(1), "-r", RUNTIME_LOCK], progress, { env, ...ids });
  // The project's files as the build user may read them: itself, or a copy that user owns.
  const source = request.projectDir ?? dirname(request.shellFile ?? request.requirementsFile);
  const project = await buildCopy(source, root, request.runAs);
  try {
    if (hasScript) {
      progress(`running ${request.shellFile}`);
      const scriptEnv = { ...env, VIRTUAL_ENV: dir, PATH: `${join(dir, "bin")}:${process.env["PATH"] ?? ""}` };
      const script = project.path(request.shellFile!);
      await run("bash", ["-e", script], progress, { cwd: dirname(script), env: scriptEnv, ...ids });
    }
    if (hasRequirements) {
      progress(`installing the project's requirements from ${request.requirementsFile}`);
      const requirements = project.path(request.requirementsFile);
      await run(pip[0]!, [...pip.slice(1), "-r", requirements], progress, { env, ...ids });
    }
  } finally {
    await project.remove();
  }
  await writeFile(join(dir, READY_MARK), `${new Date().toISOString()}\n`);
}

/** Where `runAs`'s environments live: a folder of its own under the cache, which it owns. */
function userCache(cacheDir: string, runAs: RunAs | undefined): string {
  return runAs ? join(cacheDir, "users", runAs.user) : cacheDir;
}

/** The project folder for a build: as it is, or copied for the build user (the original is glia's, 0700). */
async function buildCopy(
  projectDir: string,
  root: string,
  runAs: RunAs | undefined,
): Promise<{ path: (file: string) => string; remove: () => Promise<void> }> {
  if (!runAs) return { path: (file) => file, remove: async () => {} };
  const work = await mkdtemp(join(root, "build-"));
  const dir = join(work, "project");
  await cp(projectDir, dir, { recursive: true, verbatimSymlinks: true });
  await chownTree(work, runAs);
  return {
    path: (file) => join(dir, relative(projectDir, file)),
    remove: () => rm(work, { recursive: true, force: true }),
  };
}

/** Where environments (and models) are cached for `runAs`, or for glia's own user (see config/env.ts). */
export function defaultCacheDir(runAs?: RunAs): string {
  return cacheDir(runAs !== undefined);
}

async function environmentKey(basePython: string, projectParts: string[]): Promise<string> {
  const runtimeReqs = await readFile(RUNTIME_LOCK, "utf8");
  const version = await capture(basePython, ["-c", "import sys; print(sys.version, sys.executable)"]);
  const hash = createHash("sha256");
  for (const part of [FORMAT, version, runtimeReqs, ...projectParts]) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 20);
}

function run(
  command: string,
  args: string[],
  onLine: (line: string) => void,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    const tail: string[] = [];
    const take = (line: string): void => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      onLine(line);
    };
    createInterface({ input: child.stdout }).on("line", take);
    createInterface({ input: child.stderr }).on("line", take);
    child.on("error", (err) =>
      reject(new EnvironmentBuildError(`could not run ${command}: ${err.message}`, { cause: err })),
    );
    child.on("exit", (code) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new EnvironmentBuildError(`\`${command} ${args.join(" ")}\` failed with status ${code}:\n${tail.join("\n")}`),
        );
    });
  });
}

async function capture(command: string, args: string[]): Promise<string> {
  const lines: string[] = [];
  await run(command, args, (line) => lines.push(line));
  return lines.join("\n");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
