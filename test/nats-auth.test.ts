import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { loadProject } from "../control-plane/config/index.ts";
import { startNatsServer, up, type NatsServer, type Platform } from "../control-plane/platform/index.ts";
import { createLogger } from "../control-plane/observability/index.ts";
import { FIXTURES } from "./support/platform.ts";
import { get, submit } from "./support/http.ts";

const PASSWORD = "s3cret-pa55";

describe("a NATS server that requires a user and password", { timeout: 120_000 }, () => {
  let dir: string;
  let nats: NatsServer;
  let platform: Platform;
  const logged: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-auth-"));
    nats = await startNatsServer({ dataDir: join(dir, "nats"), extraArgs: ["--user", "glia", "--pass", PASSWORD] });
    const natsUrl = nats.url.replace("nats://", `nats://glia:${PASSWORD}@`);
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) });
    process.env["GLIA_STATE_FILE"] ??= join(dir, "state.json");
    const project = await loadProject(resolve(FIXTURES, "echo-payloads"));
    platform = await up({
      projects: [project],
      logger: createLogger({ level: "debug", destination: sink }),
      port: 0,
      internalPort: 0,
      natsUrl,
      dataDir: join(dir, "data"),
    });
  });
  after(async () => {
    await platform?.stop(1_000);
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves through credentials in the URL, and never shows the password in logs or on a command line", async () => {
    const url = platform.apis[0]!.url;
    const id = await submit(url, "{}", "application/json");
    assert.equal((await get(`${url}/${id}?wait=30`)).body["status"], "completed");
    const text = logged.join("");
    assert.match(text, /nats:\/\/glia:\*\*\*@127\.0\.0\.1/, "the URL is logged with the password hidden");
    assert.doesNotMatch(text, new RegExp(PASSWORD));
    const workerPid = platform.workers.get("echo")!.pid!;
    const cmdline = await readFile(`/proc/${workerPid}/cmdline`, "utf8");
    assert.doesNotMatch(cmdline, new RegExp(PASSWORD), "the worker's command line does not hold the password");
  });
});
