import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "tar";
import type { ResolvedApiSpec } from "../config/index.ts";
import { confineToBundle, unpackBundle } from "./bundle.ts";
import { BundleContentError, BundlePathError } from "./errors.ts";

const T = { timeout: 10_000 };
const made: string[] = [];

async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "glia-bundle-test-"));
  made.push(dir);
  return dir;
}

/** A gzipped tarball of `paths` under `cwd`, as tar writes them (links stay links). */
async function pack(cwd: string, paths: string[], options: { preservePaths?: boolean } = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of create({ gzip: true, cwd, portable: true, ...options }, paths) as AsyncIterable<Buffer>)
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("unpackBundle", () => {
  after(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  test("unpacks files and folders private to glia's user", T, async () => {
    const src = await temp();
    await mkdir(join(src, "lib"));
    await writeFile(join(src, "handler.py"), "x");
    await writeFile(join(src, ".env"), "SECRET=1");
    await writeFile(join(src, "lib", "run.sh"), "#!/bin/sh\n");
    await chmod(join(src, "lib", "run.sh"), 0o755);
    const dest = join(await temp(), "bundles", "sha256-x");
    await unpackBundle(await pack(src, ["handler.py", ".env", "lib"]), dest);
    const mode = async (p: string): Promise<number> => (await stat(join(dest, p))).mode & 0o777;
    assert.deepEqual(
      [await mode(""), await mode("handler.py"), await mode(".env"), await mode("lib"), await mode("lib/run.sh")],
      [0o700, 0o600, 0o600, 0o700, 0o700],
    );
  });

  test("refuses a bundle holding a link, unpacking nothing", T, async () => {
    const src = await temp();
    const outside = await temp();
    await writeFile(join(src, "handler.py"), "x");
    await symlink(outside, join(src, "escape"));
    const base = await temp();
    const dest = join(base, "sha256-y");
    await assert.rejects(unpackBundle(await pack(src, ["handler.py", "escape"]), dest), (err: unknown) => {
      assert.ok(err instanceof BundleContentError);
      assert.match(err.message, /escape is a SymbolicLink/);
      return true;
    });
    assert.deepEqual(await readdir(base), []);
    assert.deepEqual(await readdir(outside), []);
  });

  test("refuses a bundle with a path leaving it, writing nothing outside", T, async () => {
    const root = await temp();
    await mkdir(join(root, "project"));
    await writeFile(join(root, "victim.txt"), "x");
    const bytes = await pack(join(root, "project"), ["../victim.txt"], { preservePaths: true });
    const base = await temp();
    await assert.rejects(unpackBundle(bytes, join(base, "b", "sha256-z")), BundleContentError);
    assert.deepEqual(await readdir(base), ["b"]);
    assert.deepEqual(await readdir(join(base, "b")), []);
  });
});

describe("confineToBundle", () => {
  after(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const spec = (path: string, pythonPath: string | null = null): ResolvedApiSpec =>
    ({
      name: "x",
      handler: {
        path,
        pythonPath,
        models: null,
        dependencies: { pip: "requirements.txt", conda: "conda-packages.txt", shell: "dependencies.sh" },
      },
    }) as ResolvedApiSpec;

  test("accepts paths inside the bundle, present or not", T, async () => {
    const dir = await temp();
    await writeFile(join(dir, "handler.py"), "x");
    await confineToBundle(dir, spec("handler.py", "src/"));
  });

  test("refuses a path that a link inside the bundle leads out of it", T, async () => {
    const dir = await temp();
    const outside = await temp();
    await writeFile(join(outside, "outside.py"), "x");
    await symlink(join(outside, "outside.py"), join(dir, "handler.py"));
    await symlink(outside, join(dir, "lib"));
    await assert.rejects(confineToBundle(dir, spec("handler.py")), (err: unknown) => {
      assert.ok(err instanceof BundlePathError);
      assert.match(err.message, /^x: handler\.path "handler\.py" leads outside the project bundle/);
      return true;
    });
    await assert.rejects(confineToBundle(dir, spec("lib/missing.py")), BundlePathError);
    await assert.rejects(confineToBundle(dir, spec("ok.py", "lib/")), /handler\.python_path "lib\/" leads outside/);
  });
});
