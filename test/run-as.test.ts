import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { access, chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { resolveRunAs } from "../control-plane/platform/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { submit, waitFor } from "./support/http.ts";

/** An interpreter every user can run: the distribution's, not one under root's home. */
const SYSTEM_PYTHON = "/usr/bin/python3";

async function why(): Promise<string | null> {
  if (process.getuid?.() !== 0) return "--run-as needs the tests to run as root";
  const usable = await access(SYSTEM_PYTHON).then(
    () => true,
    () => false,
  );
  return usable ? null : `${SYSTEM_PYTHON} is missing: the unprivileged user needs an interpreter outside root's home`;
}

const skip = await why();
if (skip) console.log(`# skipped: ${skip}`);

describe(
  "--run-as: handlers and dependencies.sh as an unprivileged user",
  { timeout: 600_000, skip: skip ?? false },
  () => {
    let stack: TestPlatform;
    let cache: string;
    const saved: Record<string, string | undefined> = {};

    before(async () => {
      cache = await mkdtemp(join(tmpdir(), "glia-run-as-cache-"));
      await chmod(cache, 0o755); // the user's environments live in a folder of its own below it
      for (const [name, value] of Object.entries({ GLIA_CACHE_DIR: cache, GLIA_PYTHON: SYSTEM_PYTHON })) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
      stack = await startPlatform(["hostile-handler"], { runAs: await resolveRunAs("nobody") });
    });
    after(async () => {
      await stack?.stop();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(cache, { recursive: true, force: true });
    });

    it("runs the handler as that user, and it cannot read glia's keys, data or state", async () => {
      const authDir = dirname(stack.nats.credentials!.nkeyFile!);
      const secrets = [join(authDir, "platform.nk"), join(authDir, "cli.nk"), process.env["GLIA_STATE_FILE"]!];
      const url = stack.url("snoop");
      const id = await submit(url, JSON.stringify({ read: secrets }), "application/json");
      const record = (await waitFor(url, id, (s) => s === "completed" || s === "failed")).body;
      assert.equal(record["status"], "completed", JSON.stringify(record));
      const result = record["result"] as {
        uid: number;
        deps_uid: string | null;
        reads: Record<string, unknown>;
        environ: Record<string, string>;
      };
      assert.equal(result.uid, 65534);
      // nobody's home is /nonexistent: the handler's is its cache folder, which it can write.
      assert.equal(result.environ["HOME"], join(cache, "users", "nobody"));
      assert.equal(result.environ["USER"], "nobody");
      assert.equal(result.deps_uid, "65534", "dependencies.sh ran as the user");
      for (const path of secrets) assert.deepEqual(result.reads[path], { error: "PermissionError" }, path);
    });

    it("builds the user's environment in a cache folder of its own", async () => {
      assert.equal((await stat(join(cache, "users", "nobody"))).uid, 65534);
    });
  },
);
