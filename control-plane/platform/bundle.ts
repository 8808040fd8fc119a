import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create, extract } from "tar";
import { listProjectFiles, stageProject, type LoadedProject } from "../config/index.ts";

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
    await stageProject(files, join(work, "project"));
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

/** Unpacks a bundle into `destination` once (later calls find it there). */
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
    return;
  const partial = `${destination}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await pipeline(Readable.from([Buffer.from(bytes)]), extract({ cwd: partial, strict: true }));
    await mkdir(join(partial, UNPACKED_MARK));
    await rm(destination, { recursive: true, force: true });
    await rename(partial, destination);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}
