import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ensureEnvironment } from "../control-plane/runtime/index.ts";

const PYTHON_ENV = new URL("../control-plane/runtime/python-env.ts", import.meta.url).pathname;

describe("Python environments", { timeout: 300_000 }, () => {
  it("are built once where they are used, even when asked for twice at once, and a killed build's leftovers are replaced", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "glia-envs-"));
    try {
      const requirementsFile = join(cacheDir, "requirements.txt");
      await writeFile(requirementsFile, "# nothing but the runtime's own\n");
      // A build killed with SIGKILL halfway through pip, with its pip (its whole process group, as
      // when a container is stopped): it leaves a folder without the ready mark.
      const build = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `import { ensureEnvironment } from ${JSON.stringify(PYTHON_ENV)};
           await ensureEnvironment({ requirementsFile: ${JSON.stringify(requirementsFile)}, cacheDir: ${JSON.stringify(cacheDir)},
             onProgress: (line) => console.log(line) });`,
        ],
        { stdio: ["ignore", "pipe", "inherit"], detached: true },
      );
      let dir = "";
      for await (const line of createInterface({ input: build.stdout })) {
        dir ||= /^creating a Python environment in (.*)$/.exec(line)?.[1] ?? "";
        if (line.startsWith("installing the runtime's requirements")) break;
      }
      assert.ok(dir, "the killed build said where it was building");
      process.kill(-build.pid!, "SIGKILL");
      await once(build, "exit");
      await assert.rejects(access(join(dir, ".glia-ready")), "the killed build did not finish");

      const [a, b] = await Promise.all([
        ensureEnvironment({ requirementsFile, cacheDir }),
        ensureEnvironment({ requirementsFile, cacheDir }),
      ]);
      assert.equal(a.dir, dir);
      assert.equal(b.dir, dir);
      assert.deepEqual([a.cached, b.cached].sort(), [false, true], "one built it, the other waited and reused it");
      const pip = await readFile(join(a.dir, "bin", "pip"), "utf8");
      const shebang = pip.split("\n")[0]!;
      assert.ok(shebang.startsWith(`#!${a.dir}/bin/python`), `scripts name the interpreter where it is: ${shebang}`);
      const again = await ensureEnvironment({ requirementsFile, cacheDir });
      assert.equal(again.cached, true, "the next ask finds it built");
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
