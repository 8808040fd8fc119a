import { createHash } from "node:crypto";
import { access, chmod, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create, extract } from "tar";
import { isModelUrl, modelLocations, type LoadedProject, type ResolvedApiSpec } from "../config/index.ts";
import { listProjectFiles, stageProject } from "./project-files.ts";
import { BundleContentError, BundlePathError } from "./errors.ts";

export interface Bundle {
  /** `sha256-<hex>` of the files' paths and contents: equal projects give equal names. */
  name: string;
  /** A gzipped tarball of exactly the project's files (Cortex's exclusions and .cortexignore applied). */
  bytes: Uint8Array;
}

/** Packs a project's files for the object store. */
export async function bundleProject(project: LoadedProject): Promise<Bundle> {
  const files = await listProjectFiles(project.projectDir, project.configFile);
  const hash = createHash("sha256");
  for (const file of files.files) {
    hash
      .update(file.path)
      .update("\0")
      .update(await readFile(join(files.root, file.path)))
      .update("\0");
  }
  const work = await mkdtemp(join(tmpdir(), "glia-bundle-"));
  try {
    await stageProject(files, join(work, "project"), { hardLinks: true }); // packed, never written
    const chunks: Buffer[] = [];
    const pack = create(
      { gzip: true, cwd: join(work, "project"), portable: true },
      files.files.map((f) => f.path),
    );
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
    return { name: `sha256-${hash.digest("hex").slice(0, 40)}`, bytes: Buffer.concat(chunks) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const UNPACKED_MARK = ".glia-unpacked";

/** Unpacks in progress, by destination: two APIs of one project share a bundle. */
const unpacking = new Map<string, Promise<void>>();

/**
 * Unpacks a bundle into `destination` once (later calls find it there). The bundle comes from the
 * object store, so it is untrusted: only regular files and folders at relative paths inside
 * `destination` are accepted (no links, devices or `..`), and the whole unpack is refused otherwise.
 * The unpacked copy is private to glia's user: folders 0700, files 0600 (0700 when executable).
 */
export function unpackBundle(bytes: Uint8Array, destination: string): Promise<void> {
  const running = unpacking.get(destination);
  if (running) return running;
  const work = unpackOnce(bytes, destination).finally(() => unpacking.delete(destination));
  unpacking.set(destination, work);
  return work;
}

async function unpackOnce(bytes: Uint8Array, destination: string): Promise<void> {
  if (
    await access(join(destination, UNPACKED_MARK)).then(
      () => true,
      () => false,
    )
  )
    return makePrivate(destination); // unpacked by an earlier version, perhaps with open modes
  const partial = `${destination}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true, mode: 0o700 });
  try {
    const refused: string[] = [];
    const filter = (path: string, entry: unknown): boolean => {
      const problem = entryProblem(path, (entry as { type?: string }).type);
      if (problem !== null) refused.push(problem);
      return problem === null;
    };
    await pipeline(Readable.from([Buffer.from(bytes)]), extract({ cwd: partial, strict: true, filter }));
    if (refused.length > 0) throw new BundleContentError(basename(destination), refused);
    await makePrivate(partial);
    await mkdir(join(partial, UNPACKED_MARK), { mode: 0o700 });
    await rm(destination, { recursive: true, force: true });
    await rename(partial, destination);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

/** Why a tar entry may not be unpacked; null for a regular file or folder inside the bundle. */
function entryProblem(path: string, type: string | undefined): string | null {
  if (type !== "File" && type !== "OldFile" && type !== "Directory") return `${path} is a ${type ?? "special entry"}`;
  if (path.startsWith("/") || /^[a-zA-Z]:/.test(path)) return `${path} is an absolute path`;
  if (path.split(/[\\/]/).includes("..")) return `${path} leaves the bundle`;
  return null;
}

/** Folders 0700, files 0600 (0700 when the owner may run them), below and including `dir`. */
async function makePrivate(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makePrivate(path);
    else await chmod(path, (await stat(path)).mode & 0o100 ? 0o700 : 0o600);
  }
}

/**
 * Checks that every path of `spec` (handler, python path, dependency files, models) resolves
 * inside the unpacked bundle `projectDir`, links followed, before anything there is run. A path
 * that does not exist yet is judged by the nearest folder above it that does.
 * @throws BundlePathError naming the field and where it leads.
 */
export async function confineToBundle(projectDir: string, spec: ResolvedApiSpec): Promise<void> {
  const root = await realpath(projectDir);
  for (const [field, path] of specPaths(spec)) {
    const real = await nearestReal(join(root, path));
    const inside = relative(root, real);
    if (inside === ".." || inside.startsWith(`..${sep}`) || inside.startsWith(sep)) {
      throw new BundlePathError(
        `${spec.name}: ${field} ${JSON.stringify(path)} leads outside the project bundle (to ${real}); ` +
          "nothing was run: give a path inside the project and deploy again",
      );
    }
  }
}

function specPaths(spec: ResolvedApiSpec): Array<[string, string]> {
  const { handler } = spec;
  const paths: Array<[string, string]> = [
    ["handler.path", handler.path],
    ["handler.dependencies.pip", handler.dependencies.pip],
    ["handler.dependencies.conda", handler.dependencies.conda],
    ["handler.dependencies.shell", handler.dependencies.shell],
  ];
  if (handler.pythonPath !== null) paths.push(["handler.python_path", handler.pythonPath]);
  // Models in object storage are fetched into the model cache, not looked for in the bundle.
  for (const { field, value } of modelLocations(handler.models)) if (!isModelUrl(value)) paths.push([field, value]);
  return paths;
}

/** The real path of `path`, or of the nearest existing folder above it joined with the rest. */
async function nearestReal(path: string): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real !== null) return real;
  const parent = dirname(path);
  return parent === path ? path : join(await nearestReal(parent), basename(path));
}
