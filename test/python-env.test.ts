import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureEnvironment } from "../control-plane/runtime/index.ts";

describe("Python environments", { timeout: 300_000 }, () => {
  it("are built once where they are used, even when asked for twice at once, and a dead build's leftovers are replaced", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "glia-envs-"));
    try {
      const requirementsFile = join(cacheDir, "requirements.txt");
      await writeFile(requirementsFile, "# nothing but the runtime's own\n");
      // A build that was killed: its half-made folder and its lock, held by a process that is gone.
      const first = await ensureEnvironment({ requirementsFile, cacheDir });
      await rm(join(first.dir, ".glia-ready"));
      await mkdir(`${first.dir}.lock`);
      await writeFile(join(`${first.dir}.lock`, "pid"), "999999999");

      const [a, b] = await Promise.all([
        ensureEnvironment({ requirementsFile, cacheDir }),
        ensureEnvironment({ requirementsFile, cacheDir }),
      ]);
      assert.equal(a.dir, b.dir);
      assert.deepEqual([a.cached, b.cached].sort(), [false, true], "one built it, the other waited and reused it");
      const pip = await readFile(join(a.dir, "bin", "pip"), "utf8");
      const shebang = pip.split("\n")[0]!;
      assert.ok(shebang.startsWith(`#!${a.dir}/bin/python`), `scripts name the interpreter where it is: ${shebang}`);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
