import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { EnvironmentBuildError } from "./errors.ts";

/** The folder holding the `glia_runtime` package; put on the runtime's PYTHONPATH. */
export const RUNTIME_ROOT = fileURLToPath(new URL("../../python-runtime", import.meta.url));

const RUNTIME_LOCK = join(RUNTIME_ROOT, "requirements.lock");
const READY_MARK = ".glia-ready";
/** Bump when the layout of a cached environment changes, so old ones are not reused. */
const FORMAT = "glia-env-1";

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
 * on first use. Environments are cached by a hash of both requirement files and the base Python,
 * built in a temporary folder and renamed into place, so a failed build is never reused.
 */
export async function ensureEnvironment(request: EnvironmentRequest): Promise<PythonEnvironment> {
  const basePython = request.basePython ?? process.env["GLIA_PYTHON"] ?? "python3";
  const projectReqs = await readFile(request.requirementsFile, "utf8").catch(() => null);
  const script = request.shellFile ? await readFile(request.shellFile, "utf8").catch(() => null) : null;
  const key = await environmentKey(basePython, [projectReqs ?? "", script ?? ""]);
  const dir = join(request.cacheDir ?? defaultCacheDir(), "venvs", key);
  const python = join(dir, "bin", "python");
  if (await exists(join(dir, READY_MARK))) return { python, dir, cached: true };
  const progress = request.onProgress ?? (() => {});
  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(join(dir, ".."), { recursive: true });
  try {
    progress(`creating a Python environment in ${dir}`);
    await run(basePython, ["-m", "venv", building], progress);
    const pip = [
      join(building, "bin", "python"),
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--progress-bar",
      "off",
    ];
    progress("installing the runtime's requirements (grpcio, protobuf)");
    await run(pip[0]!, [...pip.slice(1), "-r", RUNTIME_LOCK], progress);
    if (script !== null) {
      progress(`running ${request.shellFile}`);
      const env = {
        ...process.env,
        VIRTUAL_ENV: building,
        PATH: `${join(building, "bin")}:${process.env["PATH"] ?? ""}`,
      };
      await run("bash", ["-e", request.shellFile!], progress, { cwd: dirname(request.shellFile!), env });
    }
    if (projectReqs !== null) {
      progress(`installing the project's requirements from ${request.requirementsFile}`);
      await run(pip[0]!, [...pip.slice(1), "-r", request.requirementsFile], progress);
    }
    await writeFile(join(building, READY_MARK), `${new Date().toISOString()}\n`);
    await rename(building, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (!(await exists(join(dir, READY_MARK)))) throw err;
      await rm(building, { recursive: true, force: true }); // another process finished first
    });
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw err instanceof EnvironmentBuildError
      ? err
      : new EnvironmentBuildError(`could not build the Python environment: ${(err as Error).message}`, { cause: err });
  }
  return { python, dir, cached: false };
}

export function defaultCacheDir(): string {
  const explicit = process.env["GLIA_CACHE_DIR"];
  if (explicit) return resolve(explicit);
  return join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "glia");
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
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
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
