import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { realpath } from "node:fs/promises";
import { FIXTURES, startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

describe("a handler's project environment", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["project-env"]);
  });
  after(async () => stack?.stop());

  it("sees .env and handler.env in os.environ, imports from python_path, and runs in the project folder", async () => {
    const url = stack.url("project-env");
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as Record<string, string>;
    assert.equal(result["FROM_YAML"], "yaml");
    assert.equal(result["FROM_DOTENV"], "dotenv");
    assert.equal(result["BOTH"], "dotenv", ".env wins over handler.env");
    assert.equal(result["shout"], "HI");
    assert.equal(await realpath(result["cwd"]!), await realpath(`${FIXTURES}project-env`));
  });
});
