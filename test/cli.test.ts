import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, stopClis, type RunningCli } from "./support/cli.ts";
import { FIXTURES } from "./support/platform.ts";

const EXAMPLES_HELLO = fileURLToPath(new URL("../examples/hello", import.meta.url));
import { get, submit } from "./support/http.ts";
import { alive } from "../control-plane/platform/index.ts";

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("glia up, as a user runs it", { timeout: 180_000 }, () => {
  const started: RunningCli[] = [];
  after(() => stopClis(started));

  it("starts its own nats-server, prints the API's URL and a curl line, serves, and stops cleanly on Ctrl-C", async () => {
    const data = await mkdtemp(join(tmpdir(), "glia-cli-"));
    try {
      const cli = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", data]);
      started.push(cli);
      const [, url] = await cli.waitForLine(/^ {2}echo \(1 runtime\): (http:\/\/127\.0\.0\.1:\d+\/echo)$/);
      await cli.waitForLine(/^ {4}curl (\S+) -X POST -H "Content-Type: application\/json" -d /);
      assert.ok(
        cli.stderr.some((l) => l.startsWith(`    curl ${url} -X POST`)),
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

  it("tags a handler's structured log lines with its API and request id", async () => {
    const data = await mkdtemp(join(tmpdir(), "glia-cli-"));
    try {
      const cli = runCli(["up", EXAMPLES_HELLO, "--port", "0", "--data-dir", data]);
      started.push(cli);
      const [, url] = await cli.waitForLine(/^ {2}hello \(1 runtime\): (http:\S+)$/);
      const id = await submit(url!, JSON.stringify({ key: "value" }), "application/json");
      assert.equal((await get(`${url}/${id}?wait=20`)).body["status"], "completed");
      await waitUntil(() => cli.logs.some((l) => l["requestId"] === id), 5_000, "the handler's log line");
      const entry = cli.logs.find((l) => l["requestId"] === id && l["msg"] === "received payload")!;
      assert.equal(entry["api"], "hello");
      const line = entry["line"] as Record<string, unknown>;
      assert.equal(line["levelname"], "INFO");
      assert.equal(line["message"], "received payload");
      assert.equal(line["payload_type"], "dict", "extra keys are flattened into the line");
      assert.equal(typeof line["process"], "number");
      assert.match(String(line["asctime"]), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/);
      cli.child.kill("SIGINT");
      assert.equal(await cli.exited, 0);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it("killed with SIGKILL, leaves no runtime or nats-server behind, and starts again on the same data", async () => {
    const data = await mkdtemp(join(tmpdir(), "glia-cli-"));
    try {
      const first = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", data]);
      started.push(first);
      await first.waitForLine(/^glia is serving on /);
      const runtimePid = first.logs.find((l) => l["msg"] === "runtime serving")?.["runtimePid"] as number;
      assert.ok(runtimePid > 0, "the runtime's pid is logged");
      first.child.kill("SIGKILL");
      await first.exited;
      await waitUntil(() => !alive(runtimePid), 10_000, "the runtime exits with its worker");
      const second = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", data]);
      started.push(second);
      const [, url] = await second.waitForLine(/^ {2}echo \(1 runtime\): (http:\S+)$/);
      const id = await submit(url!, "{}", "application/json");
      assert.equal((await get(`${url}/${id}?wait=20`)).body["status"], "completed");
      second.child.kill("SIGINT");
      assert.equal(await second.exited, 0);
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
