import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type RunningCli } from "./support/cli.ts";
import { FIXTURES } from "./support/platform.ts";
import { get, submit } from "./support/http.ts";

describe("glia up, as a user runs it", { timeout: 180_000 }, () => {
  const started: RunningCli[] = [];
  after(() => started.forEach((c) => c.child.kill("SIGKILL")));

  it("starts its own nats-server, prints the API's URL and a curl line, serves, and stops cleanly on Ctrl-C", async () => {
    const data = await mkdtemp(join(tmpdir(), "glia-cli-"));
    try {
      const cli = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", data]);
      started.push(cli);
      const [, url] = await cli.waitForLine(/^ {2}echo \(1 runtime\): (http:\/\/127\.0\.0\.1:\d+\/echo)$/);
      assert.ok(
        cli.stderr.some((l) => l.includes(`curl ${url} -X POST -H "Content-Type: application/json"`)),
        cli.stderr.join("\n"),
      );
      const id = await submit(url!, "hello world", "text/plain");
      const done = await get(`${url}/${id}?wait=20`);
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      assert.equal((done.body["result"] as Record<string, unknown>)["payload"], "hello world");
      cli.child.kill("SIGINT");
      assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it("refuses an invalid cortex.yaml before starting anything, naming the file, the API and the field", async () => {
    const cli = runCli(["up", `${FIXTURES}invalid-config`, "--port", "0"]);
    started.push(cli);
    assert.equal(await cli.exited, 1);
    const text = cli.stderr.join("\n");
    assert.match(text, /invalid-config\/cortex\.yaml: broken \(AsyncAPI\): handler\.path: /);
    assert.match(text, /autoscaling\.min_replicas: /);
  });

  it("refuses a bad flag with a usage error", async () => {
    const cli = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "99999"]);
    started.push(cli);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr.join("\n"), /--port must be a whole number/);
  });
});
