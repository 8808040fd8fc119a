import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiKeys } from "../control-plane/gateway/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";

describe("API keys on the public listener", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["echo-payloads"], { apiKeys: await ApiKeys.load(undefined, "sesame,echo:echo-only") });
  });
  after(async () => stack?.stop());

  const call = (path: string, key?: string, method = "GET") =>
    fetch(`${stack.platform.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: method === "POST" ? "{}" : undefined,
    });

  it("refuses requests without a valid key with 401 and a JSON error, and accepts valid ones", async () => {
    for (const key of [undefined, "wrong"]) {
      const res = await call("/echo", key, "POST");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="glia"');
      assert.match(((await res.json()) as { error: string }).error, /key/);
    }
    for (const key of ["sesame", "echo-only"]) {
      const res = await call("/echo", key, "POST");
      assert.equal(res.status, 200, key);
      const { id } = (await res.json()) as { id: string };
      assert.equal((await call(`/echo/${id}`, key)).status, 200);
      assert.equal((await call(`/echo/${id}`)).status, 401, "reading needs the key too");
    }
    assert.equal((await call("/metrics")).status, 401);
    assert.equal((await call("/metrics", "sesame")).status, 200);
    assert.equal((await call("/healthz")).status, 200, "health checks stay open");
  });
});
