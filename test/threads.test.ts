import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { THREAD_VARIABLES } from "../control-plane/runtime/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { resultsByRuntime } from "./support/http.ts";

type Seen = { pid: number; threads: Record<string, string | null> };

describe("threads of the maths libraries", { timeout: 120_000 }, () => {
  let stack: TestPlatform;
  const saved = THREAD_VARIABLES.map((name) => [name, process.env[name]] as const);

  before(async () => {
    // Runtimes inherit the worker's environment; the test sets none of these itself.
    for (const name of THREAD_VARIABLES) delete process.env[name];
    stack = await startPlatform(["threads"]);
  });
  after(async () => {
    await stack?.stop();
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  });

  /** The thread variables each of the API's `runtimes` sees, by runtime pid. */
  async function seenByRuntime(api: string, runtimes: number): Promise<Map<number, Seen["threads"]>> {
    const seen = await resultsByRuntime<Seen>(stack.url(api), runtimes);
    return new Map([...seen].map(([pid, result]) => [pid, result.threads]));
  }

  it("gives each of an API's runtimes its share of the cores", async () => {
    const share = String(Math.max(1, Math.floor(availableParallelism() / 2)));
    const seen = await seenByRuntime("shared", 2);
    assert.equal(seen.size, 2, "both runtimes answered");
    for (const threads of seen.values())
      assert.deepEqual(threads, Object.fromEntries(THREAD_VARIABLES.map((name) => [name, share])));
  });

  it("caps the share at compute.cpu's whole cores, and keeps a value set in handler.env", async () => {
    const [threads] = [...(await seenByRuntime("pinned", 1)).values()];
    assert.ok(threads);
    assert.equal(threads["OMP_NUM_THREADS"], "3", "handler.env wins");
    for (const name of THREAD_VARIABLES.filter((n) => n !== "OMP_NUM_THREADS")) assert.equal(threads[name], "1", name);
  });
});
