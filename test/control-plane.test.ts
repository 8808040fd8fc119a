import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { platformState, runCli } from "./support/cli.ts";
import { FIXTURES, startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, post, submit, waitFor } from "./support/http.ts";

describe("glia deploy, get, logs and delete against a running platform", { timeout: 300_000 }, () => {
  let stack: TestPlatform;
  let project: string;
  const glia = async (...args: string[]) => {
    const cli = runCli(args, platformState()); // found through the state file, with the CLI's own NATS identity
    const code = await cli.exited;
    return { code, stderr: cli.stderr.join("\n"), stdout: cli.stdoutLines.join("\n") };
  };
  const url = (): string => `${stack.platform.url}/versioned`;

  before(async () => {
    stack = await startPlatform([]);
    project = join(await mkdtemp(join(tmpdir(), "glia-deploy-")), "versioned");
    await cp(`${FIXTURES}versioned`, project, { recursive: true });
  });
  after(async () => {
    await stack?.stop();
    await rm(join(project, ".."), { recursive: true, force: true });
  });

  it("deploys a project, and a second deploy of the same files is up to date", async () => {
    const first = await glia("deploy", project, "--wait");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^creating versioned \(AsyncAPI\)$/m);
    const done = await waitFor(url(), await submit(url(), "{}", "application/json"), isFinal);
    assert.deepEqual(done.body["result"], { version: 1 });
    const again = await glia("deploy", project);
    assert.match(again.stderr, /^versioned \(AsyncAPI\) is up to date$/m);
  });

  it("lists the API with its status, replicas, queue depth and endpoint", async () => {
    const listed = await glia("get", "-o", "json");
    assert.equal(listed.code, 0, listed.stderr);
    const [row] = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      {
        name: row!["name"],
        status: row!["status"],
        replicas: row!["replicas"],
        queued: row!["queued"],
        endpoint: row!["endpoint"],
      },
      {
        name: "versioned",
        status: "live",
        replicas: 1,
        queued: 0,
        endpoint: "/versioned",
      },
    );
    const table = await glia("get");
    // ready/requested: one runtime asked for (init_replicas), serving.
    assert.match(table.stdout, /^versioned\s+live\s+1\/1\s+-\s+0\s+http:\/\/127\.0\.0\.1:\d+\/versioned$/m);
  });

  it("follows the API's output live, each line tagged with its request id", async () => {
    const logs = runCli(["logs", "versioned"], platformState());
    try {
      await logs.waitForLine(/^following versioned's output/, 30_000); // subscribed: no line is missed now
      const id = await submit(url(), "{}", "application/json");
      await waitFor(url(), id, isFinal);
      await logs.waitForStdout(new RegExp(`versioned#0 ${id} handling ${id} with version 1`), 10_000);
    } finally {
      logs.child.kill("SIGINT");
      await logs.exited;
    }
  });

  it("rolls a changed handler out without losing any of 200 queued requests", async () => {
    const ids = await Promise.all(
      Array.from({ length: 200 }, () => submit(url(), JSON.stringify({ sleep: 0.02 }), "application/json")),
    );
    const handler = join(project, "handler.py");
    await writeFile(handler, (await readFile(handler, "utf8")).replace("VERSION = 1", "VERSION = 2"));
    const redeploy = await glia("deploy", project, "--wait");
    assert.equal(redeploy.code, 0, redeploy.stderr);
    assert.match(redeploy.stderr, /^updating versioned \(AsyncAPI\)$/m);
    const answers = await Promise.all(ids.map((id) => get(`${url()}/${id}?wait=60`)));
    const statuses = answers.map((a) => a.body["status"]);
    assert.deepEqual(
      [...new Set(statuses)],
      ["completed"],
      `every queued request completed: ${JSON.stringify(statuses.filter((s) => s !== "completed"))}`,
    );
    const after = await waitFor(url(), await submit(url(), "{}", "application/json"), isFinal);
    assert.deepEqual(after.body["result"], { version: 2 }, "new requests run the new handler");
  });

  it("deletes the API: it stops answering, and get says it is not deployed", async () => {
    const deleted = await glia("delete", "versioned");
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /^deleting versioned$/m);
    const deadline = Date.now() + 30_000;
    while ((await post(url(), "{}", "application/json")).status !== 404) {
      assert.ok(Date.now() < deadline, "the endpoint still answers after delete");
      await new Promise((r) => setTimeout(r, 100));
    }
    const missing = await glia("get", "versioned");
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /versioned is not deployed/);
  });
});
