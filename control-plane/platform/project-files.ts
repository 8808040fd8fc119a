/**
 * @module
 * The files of a project that its handler sees, chosen by Cortex's rules, and a staged copy of them.
 */
import { constants, type Dirent } from "node:fs";
import { chmod, copyFile, link, mkdir, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { GliaError } from "../errors.ts";

/** The most one project file, and the whole project, may hold: 32 MiB, as in Cortex. */
export const PROJECT_FILE_LIMIT_BYTES = 32 * 1024 * 1024;

/** One file the handler sees. */
export interface ProjectFile {
  /** Relative to the project root, `/`-separated. */
  path: string;
  /** Its size (a link's target's size). */
  bytes: number;
}

/** Every file the handler sees, and where they live. */
export interface ProjectFiles {
  /** The project directory, absolute. */
  root: string;
  /** Sorted by `path`. */
  files: ProjectFile[];
  /** The sum of `files[].bytes`. */
  totalBytes: number;
}

/** A project file, or the whole project, over {@link PROJECT_FILE_LIMIT_BYTES}. */
export class ProjectTooLargeError extends GliaError {
  constructor(message: string) {
    super("PROJECT_TOO_LARGE", message);
  }
}

/** A project that cannot be staged where it was asked to be (the destination holds files). */
export class ProjectStagingError extends GliaError {
  constructor(message: string) {
    super("PROJECT_STAGING_FAILED", message);
  }
}

const IGNORE_FILE = ".cortexignore";
const BYTECODE = /\.py[cod]$/;
const MIB = 1024 * 1024;

interface Walk {
  root: string;
  realRoot: string;
  configFile: string;
  rules: Ignore;
  files: ProjectFile[];
}

/** What a directory entry is once links are followed; null when it is left out. */
type Entry = { kind: "file"; bytes: number } | { kind: "dir"; real: string } | null;

/**
 * Lists the files of the project in `projectDir` that its handler sees, following Cortex: everything
 * under the directory except the config file `configFile` (absolute), files and folders whose name
 * starts with `.` at any depth (the root `.env` file is kept, whatever `.cortexignore` says, as Cortex
 * re-added it), `__pycache__` folders, `*.pyc`/`*.pyo`/`*.pyd` files, names starting `cortex-debug-`,
 * and whatever the root `.cortexignore` matches (gitignore rules, case-sensitive; an ignored folder is
 * not entered, so a negated file inside it stays out, as in git). Symbolic links are followed when
 * their target lies inside the project (a link to a folder is listed under the link's path, unless
 * that would loop); links leading outside the project, and broken links, are skipped. Sockets, FIFOs
 * and devices are skipped. File contents are never read.
 * @throws ProjectTooLargeError when one file, or all of them together, is over 32 MiB.
 */
export async function listProjectFiles(projectDir: string, configFile: string): Promise<ProjectFiles> {
  const root = resolve(projectDir);
  const realRoot = await realpath(root);
  const walk: Walk = { root, realRoot, configFile: resolve(configFile), rules: await readRules(root), files: [] };
  await walkDir(walk, root, "", [realRoot]);
  walk.files.sort((a, b) => compare(a.path, b.path));
  const totalBytes = walk.files.reduce((sum, file) => sum + file.bytes, 0);
  if (totalBytes > PROJECT_FILE_LIMIT_BYTES) throw tooLargeInTotal(root, walk.files, totalBytes);
  return { root, files: walk.files, totalBytes };
}

async function readRules(root: string): Promise<Ignore> {
  const rules = ignore({ ignorecase: false });
  try {
    rules.add(await readFile(join(root, IGNORE_FILE), "utf8"));
  } catch (error) {
    if (!hasCode(error, "ENOENT", "EISDIR")) throw error;
  }
  return rules;
}

/** Lists `dir` (logical path `rel`); `chain` holds the real paths of the folders walked into. */
async function walkDir(walk: Walk, dir: string, rel: string, chain: readonly string[]): Promise<void> {
  const dirents = await readdir(dir, { withFileTypes: true });
  dirents.sort((a, b) => compare(a.name, b.name));
  for (const dirent of dirents) {
    const path = join(dir, dirent.name);
    const entryRel = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
    const entry = await classify(walk, path, dirent, chain);
    if (entry === null || excluded(walk, path, entryRel, entry.kind === "dir")) continue;
    if (entry.kind === "dir") await walkDir(walk, path, entryRel, [...chain, entry.real]);
    else addFile(walk, entryRel, entry.bytes);
  }
}

async function classify(walk: Walk, path: string, dirent: Dirent, chain: readonly string[]): Promise<Entry> {
  if (dirent.isFile()) return { kind: "file", bytes: (await stat(path)).size };
  if (dirent.isDirectory()) return directory(join(chain[chain.length - 1] ?? walk.realRoot, dirent.name), chain);
  if (!dirent.isSymbolicLink()) return null;
  const real = await realpath(path).catch(() => null);
  if (real === null || !isInside(walk.realRoot, real)) return null;
  const target = await stat(real);
  if (target.isFile()) return { kind: "file", bytes: target.size };
  return target.isDirectory() ? directory(real, chain) : null;
}

/** A folder to walk into, unless it is already being walked (a link back up). */
function directory(real: string, chain: readonly string[]): Entry {
  return chain.includes(real) ? null : { kind: "dir", real };
}

function excluded(walk: Walk, path: string, rel: string, isDir: boolean): boolean {
  if (rel === ".env" && !isDir) return false;
  const name = basename(rel);
  if (name.startsWith(".") || name.startsWith("cortex-debug-")) return true;
  if (isDir ? name === "__pycache__" : BYTECODE.test(name) || path === walk.configFile) return true;
  return walk.rules.ignores(isDir ? `${rel}/` : rel);
}

function addFile(walk: Walk, path: string, bytes: number): void {
  if (bytes > PROJECT_FILE_LIMIT_BYTES) {
    throw new ProjectTooLargeError(
      `${path} in project ${walk.root} is ${mib(bytes)}, over the ${mib(PROJECT_FILE_LIMIT_BYTES)} limit for ` +
        `one project file: add it to ${IGNORE_FILE} or load it at run time (e.g. in the handler's constructor)`,
    );
  }
  walk.files.push({ path, bytes });
}

function tooLargeInTotal(root: string, files: readonly ProjectFile[], totalBytes: number): ProjectTooLargeError {
  const largest = [...files]
    .sort((a, b) => b.bytes - a.bytes || compare(a.path, b.path))
    .slice(0, 3)
    .map((file) => `${file.path} (${mib(file.bytes)})`);
  return new ProjectTooLargeError(
    `project ${root} holds ${mib(totalBytes)}, over the ${mib(PROJECT_FILE_LIMIT_BYTES)} limit for a project; ` +
      `the largest files are ${largest.join(", ")}: add large files to ${IGNORE_FILE} or load them at run time`,
  );
}

export interface StageOptions {
  /**
   * Hard-link the files where the filesystem allows it instead of copying them. Only for a copy
   * nobody writes to (e.g. one that is packed and removed): a write through a link changes the
   * original. A handler's copy is always a real copy, so it cannot change the bundle it came from.
   * @default false
   */
  hardLinks?: boolean;
}

/**
 * Copies exactly `files` into `destination` (made, with missing parents; it must be absent or empty),
 * keeping their relative paths and modes. Files are copied (a copy-on-write clone where the
 * filesystem has them), or hard-linked with `hardLinks`; a linked file is staged as the file it
 * points to. The copy is built in `<destination>.partial-<pid>` and renamed into place, so
 * `destination` is either complete or untouched; the partial folder is removed on failure.
 * @throws ProjectStagingError when `destination` holds files.
 */
export async function stageProject(
  files: ProjectFiles,
  destination: string,
  options: StageOptions = {},
): Promise<void> {
  const target = resolve(destination);
  await assertEmptyOrAbsent(target);
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await mkdir(partial, { recursive: true });
    await placeFiles(files, partial, options.hardLinks ?? false);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function assertEmptyOrAbsent(target: string): Promise<void> {
  const names = await readdir(target).catch((error: unknown) => {
    if (hasCode(error, "ENOENT")) return [];
    throw error;
  });
  if (names.length > 0) {
    throw new ProjectStagingError(`cannot stage the project into ${target}: it is not empty`);
  }
}

/** Link failures that mean "copy instead" rather than a real problem. */
const CANNOT_LINK = ["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP"];

async function placeFiles(files: ProjectFiles, into: string, hardLinks: boolean): Promise<void> {
  const made = new Set<string>();
  let linking = hardLinks;
  for (const file of files.files) {
    const source = await realpath(join(files.root, file.path));
    const dest = join(into, ...file.path.split("/"));
    const parent = dirname(dest);
    if (!made.has(parent)) await mkdir(parent, { recursive: true });
    made.add(parent);
    if (linking) {
      try {
        await link(source, dest);
        continue;
      } catch (error) {
        if (!hasCode(error, ...CANNOT_LINK)) throw error;
        if (hasCode(error, "EXDEV")) linking = false;
      }
    }
    await copyWithMode(source, dest);
  }
}

async function copyWithMode(source: string, dest: string): Promise<void> {
  await copyFile(source, dest, constants.COPYFILE_FICLONE);
  await chmod(dest, (await stat(source)).mode & 0o7777);
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? "");
}
