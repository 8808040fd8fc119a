import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, submit, waitFor } from "./support/http.ts";

describe("chaining APIs at http://api-<name>:8888/", { timeout: 300_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    // internalPort 0: the runtimes must map api-*:8888 to wherever the internal listener is.
    stack = await startPlatform(["chaining"], { internalPort: 0 });
  });
  after(async () => stack?.stop());

  for (const client of ["requests", "httpx", "urllib"]) {
    it(`API a submits to API b and reads b's result, with ${client}`, async () => {
      const a = stack.url("chain-a");
      const done = await waitFor(
        a,
        await submit(a, JSON.stringify({ client, n: 21 }), "application/json"),
        isFinal,
        60_000,
      );
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      const { id, record } = done.body["result"] as { id: string; record: Record<string, unknown> };
      assert.equal(record["status"], "completed");
      assert.deepEqual(record["result"], { doubled: 42 });
      const fromOutside = await get(`${stack.url("chain-b")}/${id}`);
      assert.deepEqual(fromOutside.body["result"], { doubled: 42 }, "the chained request is an ordinary request of b");
    });
  }
});
