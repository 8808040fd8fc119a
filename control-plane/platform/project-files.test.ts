import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import {
  listProjectFiles,
  PROJECT_FILE_LIMIT_BYTES,
  ProjectStagingError,
  ProjectTooLargeError,
  stageProject,
} from "./project-files.ts";

const T = { timeout: 10_000 };
const MIB = 1024 * 1024;
const created: string[] = [];

/** A temp directory holding `project/` with `files` (path → content) and `links` (path → target). */
async function makeProject(files: Record<string, string>, links: Record<string, string> = {}): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), "glia-project-files-"));
  created.push(base);
  const dir = join(base, "project");
  await mkdir(dir);
  await writeFile(join(base, "outside.txt"), "outside\n");
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  for (const [name, target] of Object.entries(links)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await symlink(target, join(dir, name));
  }
  return dir;
}

/** Writes sparse files of the given sizes (MiB) so that large projects cost nothing. */
async function makeSparse(dir: string, sizes: Record<string, number>): Promise<void> {
  for (const [name, size] of Object.entries(sizes)) {
    await writeFile(join(dir, name), "");
    await truncate(join(dir, name), size);
  }
}

async function paths(dir: string, config = "cortex.yaml"): Promise<string[]> {
  return (await listProjectFiles(dir, join(dir, config))).files.map((file) => file.path);
}

interface ListCase {
  title: string;
  files: string[];
  /** Lines of the root `.cortexignore`. */
  ignore?: string[];
  links?: Record<string, string>;
  config?: string;
  expected: string[];
}

const LIST_CASES: ListCase[] = [
  {
    title: "leaves out hidden files and folders at any depth, but keeps the root .env",
    files: [".env", ".hidden", ".git/config", "sub/.env", "sub/.cache/x", "sub/deep/.x/y", "sub/deep/ok.py"],
    expected: [".env", "handler.py", "sub/deep/ok.py"],
  },
  {
    title: "leaves out cortex.yaml, bytecode, __pycache__ and cortex-debug-*",
    files: [
      "__pycache__/h.cpython-311.pyc",
      "sub/__pycache__/x.py",
      "a.pyc",
      "a.pyo",
      "a.pyd",
      "a.pyx",
      "sub/b.pyc",
    ].concat(["cortex-debug-1.log", "cortex-debug-dir/x", "sub/cortex-debug-2", "my-cortex-debug-3", "pyc"]),
    expected: ["a.pyx", "handler.py", "my-cortex-debug-3", "pyc"],
  },
  {
    title: "leaves out a differently named config file and keeps cortex.yaml then",
    files: ["api.yaml", "sub/api.yaml"],
    config: "api.yaml",
    expected: ["cortex.yaml", "handler.py", "sub/api.yaml"],
  },
  {
    title: "applies .cortexignore with gitignore rules",
    ignore: ["# a comment", "", "   ", "*.csv", "!keep.csv", "data/", "/only-root.txt", "**/tmp", ""],
    files: ["a.csv", "keep.csv", "sub/b.csv", "sub/keep.csv", "data/x.txt", "data/keep.csv"]
      .concat(["sub/data/y.txt", "data2/x.txt", "only-root.txt", "sub/only-root.txt", "tmp/a", "sub/deep/tmp/b"])
      .concat(["tmp.txt", "# a comment"]),
    expected: ["# a comment", "data2/x.txt", "handler.py", "keep.csv", "sub/keep.csv", "sub/only-root.txt", "tmp.txt"],
  },
  {
    title: "keeps the root .env even when .cortexignore names it, as Cortex did",
    ignore: [".env", "sub/", "!sub/x"],
    files: [".env", "sub/x"],
    expected: [".env", "handler.py"],
  },
  {
    title: "follows links inside the project and skips those leading out or nowhere",
    files: ["sub/x.txt"],
    links: { "in.py": "handler.py", "out.txt": "../outside.txt", broken: "nowhere", alias: "sub", "sub/up": ".." },
    expected: ["alias/x.txt", "handler.py", "in.py", "sub/x.txt"],
  },
];

describe("listProjectFiles", () => {
  after(async () => {
    for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  for (const row of LIST_CASES) {
    test(row.title, T, async () => {
      const contents = Object.fromEntries(row.files.map((name) => [name, `${name}\n`]));
      if (row.ignore !== undefined) contents[".cortexignore"] = row.ignore.join("\n");
      const dir = await makeProject({ "cortex.yaml": "- name: x\n", "handler.py": "", ...contents }, row.links);
      assert.deepEqual(await paths(dir, row.config), row.expected);
    });
  }

  test("gives the absolute root, sizes and their total", T, async () => {
    const dir = await makeProject({ "cortex.yaml": "", "handler.py": "abc", "b/c.txt": "hello" });
    const listed = await listProjectFiles(join(dir, "."), join(dir, "cortex.yaml"));
    assert.deepEqual(listed, {
      root: dir,
      files: [
        { path: "b/c.txt", bytes: 5 },
        { path: "handler.py", bytes: 3 },
      ],
      totalBytes: 8,
    });
  });

  test("refuses one file over 32 MiB, naming it", T, async () => {
    const dir = await makeProject({ "handler.py": "" });
    await makeSparse(dir, { "big.bin": 33 * MIB, "fits.bin": PROJECT_FILE_LIMIT_BYTES - 1 });
    await assert.rejects(listProjectFiles(dir, join(dir, "cortex.yaml")), (error: unknown) => {
      assert.ok(error instanceof ProjectTooLargeError);
      assert.equal(error.code, "PROJECT_TOO_LARGE");
      assert.match(error.message, /^big\.bin in project .* is 33\.0 MiB, over the 32\.0 MiB limit/);
      assert.match(error.message, /add it to \.cortexignore or load it at run time/);
      return true;
    });
    await writeFile(join(dir, ".cortexignore"), "big.bin\n");
    assert.deepEqual(await paths(dir), ["fits.bin", "handler.py"]);
  });

  test("refuses a project over 32 MiB in total, naming the largest files", T, async () => {
    const dir = await makeProject({ "handler.py": "" });
    await makeSparse(dir, { "a.bin": 5 * MIB, "b.bin": 9 * MIB, "c.bin": 8 * MIB, "d.bin": 7 * MIB, "e.bin": 6 * MIB });
    await assert.rejects(listProjectFiles(dir, join(dir, "cortex.yaml")), (error: unknown) => {
      assert.ok(error instanceof ProjectTooLargeError);
      assert.match(error.message, /holds 35\.0 MiB, over the 32\.0 MiB limit for a project/);
      assert.match(error.message, /largest files are b\.bin \(9\.0 MiB\), c\.bin \(8\.0 MiB\), d\.bin \(7\.0 MiB\):/);
      return true;
    });
  });
});

describe("stageProject", () => {
  after(async () => {
    for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function project(): Promise<string> {
    const dir = await makeProject(
      { "cortex.yaml": "", "handler.py": "class Handler: ...\n", "bin/run.sh": "#!/bin/sh\n", "d/e/f.txt": "f" },
      { "link.py": "handler.py" },
    );
    await chmod(join(dir, "bin/run.sh"), 0o755);
    return dir;
  }

  async function assertStaged(dir: string, dest: string): Promise<void> {
    const listed = await listProjectFiles(dir, join(dir, "cortex.yaml"));
    const staged = await listProjectFiles(dest, join(dest, "cortex.yaml"));
    assert.deepEqual(staged.files, listed.files);
    for (const file of listed.files) {
      assert.equal(await readFile(join(dest, file.path), "utf8"), await readFile(join(dir, file.path), "utf8"));
    }
    assert.equal((await stat(join(dest, "bin/run.sh"))).mode & 0o777, 0o755);
    assert.equal((await stat(join(dest, "handler.py"))).mode & 0o111, 0);
  }

  test("copies the files: a write to the copy leaves the original as it was", T, async () => {
    const dir = await project();
    const dest = join(dirname(dir), "staged", "copy");
    await stageProject(await listProjectFiles(dir, join(dir, "cortex.yaml")), dest);
    await assertStaged(dir, dest);
    assert.notEqual((await stat(join(dest, "handler.py"))).ino, (await stat(join(dir, "handler.py"))).ino);
    await writeFile(join(dest, "handler.py"), "edited by the handler\n");
    assert.equal(await readFile(join(dir, "handler.py"), "utf8"), "class Handler: ...\n");
  });

  test("reproduces the files, hard-linked on the same filesystem when asked", T, async () => {
    const dir = await project();
    const dest = join(dirname(dir), "staged", "copy");
    await stageProject(await listProjectFiles(dir, join(dir, "cortex.yaml")), dest, { hardLinks: true });
    await assertStaged(dir, dest);
    const source = await stat(join(dir, "handler.py"));
    assert.equal((await stat(join(dest, "handler.py"))).ino, source.ino);
    assert.equal((await stat(join(dest, "link.py"))).ino, source.ino);
    assert.deepEqual(await readdir(dirname(dest)), ["copy"]);
  });

  test("stages into an empty folder", T, async () => {
    const dir = await project();
    const dest = join(dirname(dir), "empty");
    await mkdir(dest);
    await stageProject(await listProjectFiles(dir, join(dir, "cortex.yaml")), dest);
    await assertStaged(dir, dest);
  });

  test("copies, keeping modes, across filesystems", T, async (t) => {
    const shm = "/dev/shm";
    if (!existsSync(shm) || (await stat(shm)).dev === (await stat(tmpdir())).dev) {
      return t.skip(`${shm} is not another filesystem`);
    }
    const dir = await project();
    const base = await mkdtemp(join(shm, "glia-project-files-"));
    created.push(base);
    const dest = join(base, "copy");
    await stageProject(await listProjectFiles(dir, join(dir, "cortex.yaml")), dest);
    await assertStaged(dir, dest);
    assert.equal((await stat(join(dest, "handler.py"))).nlink, 1);
  });

  test("refuses a folder that is not empty, leaving it as it was", T, async () => {
    const dir = await project();
    const dest = join(dirname(dir), "full");
    await mkdir(dest);
    await writeFile(join(dest, "mine.txt"), "mine");
    const files = await listProjectFiles(dir, join(dir, "cortex.yaml"));
    await assert.rejects(stageProject(files, dest), ProjectStagingError);
    assert.deepEqual(await readdir(dest), ["mine.txt"]);
    assert.deepEqual((await readdir(dirname(dest))).sort(), ["full", "outside.txt", "project"]);
  });

  test("removes the partial folder when a file cannot be staged", T, async () => {
    const dir = await project();
    const dest = join(dirname(dir), "dest");
    const files = await listProjectFiles(dir, join(dir, "cortex.yaml"));
    await unlink(join(dir, "handler.py"));
    await assert.rejects(stageProject(files, dest), { code: "ENOENT" });
    assert.deepEqual((await readdir(dirname(dest))).sort(), ["outside.txt", "project"]);
  });
});
