import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FIXTURES, startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

describe("a handler's project environment", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["project-env"]);
  });
  after(async () => stack?.stop());

  it("sees .env and handler.env in os.environ, imports from python_path and what dependencies.sh installed, and runs in a staged project folder", async () => {
    const url = stack.url("project-env");
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as Record<string, string>;
    assert.equal(result["FROM_YAML"], "yaml");
    assert.equal(result["FROM_DOTENV"], "dotenv");
    assert.equal(result["BOTH"], "dotenv", ".env wins over handler.env");
    assert.equal(result["shout"], "HI");
    assert.equal(result["shellmod"], "from dependencies.sh");
    assert.notEqual(await realpath(result["cwd"]!), await realpath(`${FIXTURES}project-env`), "a staged copy");
  });
});

describe("the project files a handler sees", { timeout: 120_000 }, () => {
  let dir: string;
  let stack: TestPlatform;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-files-"));
    const files: Record<string, string> = {
      "cortex.yaml": "- name: files\n  kind: AsyncAPI\n  handler:\n    type: python\n    path: handler.py\n",
      "handler.py": LIST_FILES_HANDLER,
      "values.json": "{}",
      ".env": "A=1\n",
      ".cortexignore": "# data files are loaded at run time\n*.csv\n!keep.csv\n**/tmp\n/only-root.txt\n",
      ".git/config": "x",
      ".hidden/secret.txt": "x",
      "sub/.env": "B=2\n",
      "sub/module.py": "",
      "sub/only-root.txt": "kept: the pattern is anchored to the root",
      "only-root.txt": "x",
      "__pycache__/handler.cpython-311.pyc": "x",
      "compiled.pyc": "x",
      "compiled.pyo": "x",
      "native.pyd": "x",
      "cortex-debug-dump.txt": "x",
      "data/keep.csv": "1",
      "data/drop.csv": "2",
      "notes/tmp/scratch.txt": "x",
      "notes/readme.md": "x",
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    stack = await startPlatform([dir]);
  });
  after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("are exactly the project's files less Cortex's exclusions and the .cortexignore matches", async () => {
    const url = stack.url("files");
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.deepEqual((done.body["result"] as { files: string[] }).files, [
      ".env",
      "data/keep.csv",
      "handler.py",
      "notes/readme.md",
      "sub/module.py",
      "sub/only-root.txt",
      "values.json",
    ]);
  });

  it("refuses a project with a file over 32 MiB before starting anything, naming the file", async () => {
    await truncate(join(dir, "big.bin"), 33 * 1024 * 1024).catch(async () => {
      await writeFile(join(dir, "big.bin"), "");
      await truncate(join(dir, "big.bin"), 33 * 1024 * 1024);
    });
    try {
      await assert.rejects(startPlatform([dir]), /big\.bin .*33\.0 MiB, over the 32\.0 MiB limit/);
    } finally {
      await rm(join(dir, "big.bin"));
    }
  });
});

const LIST_FILES_HANDLER = `import os


class Handler:
    def handle_async(self, payload):
        found = []
        for root, dirs, files in os.walk("."):
            found += [os.path.relpath(os.path.join(root, f), ".") for f in files]
        return {"files": sorted(found)}
`;
