import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKeys, ApiKeyFileError, UnauthorizedError } from "./auth.ts";

describe("API keys", () => {
  it("are off when none are given", async () => {
    assert.equal(await ApiKeys.load(undefined, undefined), null);
    assert.equal(await ApiKeys.load(undefined, " , "), null);
  });

  it("open every API, or one when written <api>:<key>, from a file and the environment", async () => {
    const dir = await mkdtemp(join(tmpdir(), "glia-keys-"));
    try {
      await writeFile(join(dir, "keys"), "# team keys\nall-key\n\niris:iris-only\n");
      const keys = (await ApiKeys.load(join(dir, "keys"), "env-key"))!;
      for (const [api, key] of [
        ["hello", "all-key"],
        ["iris", "iris-only"],
        ["hello", "env-key"],
      ]) {
        assert.doesNotThrow(() => keys.check(api!, `Bearer ${key}`), `${api} with ${key}`);
      }
      assert.throws(() => keys.check("hello", "Bearer iris-only"), /not valid for hello/);
      assert.throws(() => keys.check("hello", "Bearer wrong"), UnauthorizedError);
      assert.throws(() => keys.check("hello", undefined), /Authorization: Bearer <key>/);
      assert.throws(() => keys.check("hello", "Basic all-key"), UnauthorizedError);
      await assert.rejects(ApiKeys.load(join(dir, "missing"), undefined), ApiKeyFileError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
