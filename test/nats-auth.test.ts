import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { connect } from "@nats-io/transport-node";
import { loadProject } from "../control-plane/config/index.ts";
import { connectNats, startNatsServer, up, type NatsServer, type Platform } from "../control-plane/platform/index.ts";
import { createLogger } from "../control-plane/observability/index.ts";
import { FIXTURES } from "./support/platform.ts";
import { get, submit } from "./support/http.ts";

const PASSWORD = "s3cret-pa55:with/odd@chars";
const TOKEN = "t0ken-9f2c41d7";

/** A nats-server that requires the given authorization block, in its own folder. */
async function serverRequiring(dir: string, authorization: string): Promise<NatsServer> {
  return startNatsServer({ dataDir: join(dir, "nats"), authorization: () => authorization });
}

describe("a NATS server that requires a user and password", { timeout: 120_000 }, () => {
  let dir: string;
  let nats: NatsServer;
  let platform: Platform;
  const logged: string[] = [];
  const withPassword = (url: string, password: string): string =>
    url.replace("nats://", `nats://glia:${encodeURIComponent(password)}@`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-auth-"));
    nats = await serverRequiring(dir, `authorization { user: "glia", password: ${JSON.stringify(PASSWORD)} }`);
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) });
    process.env["GLIA_STATE_FILE"] ??= join(dir, "state.json");
    const project = await loadProject(resolve(FIXTURES, "echo-payloads"));
    platform = await up({
      projects: [project],
      logger: createLogger({ level: "debug", destination: sink }),
      port: 0,
      internalPort: 0,
      natsUrl: withPassword(nats.url, PASSWORD),
      dataDir: join(dir, "data"),
      gpus: [],
    });
  });
  after(async () => {
    await platform?.stop(1_000);
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("is enforced: no credentials and a wrong password are refused", async () => {
    await assert.rejects(connect({ servers: nats.url, reconnect: false }), /authorization/i);
    await assert.rejects(connectNats(withPassword(nats.url, "wrong-password"), { reconnect: false }), /authorization/i);
  });

  it("serves through credentials in the URL, and never shows the password in logs or on a command line", async () => {
    const url = platform.apis[0]!.url;
    const id = await submit(url, "{}", "application/json");
    assert.equal((await get(`${url}/${id}?wait=30`)).body["status"], "completed");
    const text = logged.join("");
    assert.match(text, /nats:\/\/glia:\*\*\*@127\.0\.0\.1/, "the URL is logged with the password hidden");
    assert.ok(!text.includes(PASSWORD) && !text.includes(encodeURIComponent(PASSWORD)), "the password is never logged");
    const workerPid = platform.workers.get("echo")!.pid!;
    const cmdline = await readFile(`/proc/${workerPid}/cmdline`, "utf8");
    assert.ok(!cmdline.includes(encodeURIComponent(PASSWORD)), "the worker's command line does not hold the password");
  });
});

describe("a NATS server that requires a token", { timeout: 60_000 }, () => {
  let dir: string;
  let nats: NatsServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-token-"));
    nats = await serverRequiring(dir, `authorization { token: ${JSON.stringify(TOKEN)} }`);
  });
  after(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the token written in the URL, and refuses a wrong one", async () => {
    const nc = await connectNats(nats.url.replace("nats://", `nats://${TOKEN}@`), { reconnect: false });
    assert.equal(nc.isClosed(), false);
    await nc.close();
    await assert.rejects(
      connectNats(nats.url.replace("nats://", "nats://not-the-token@"), { reconnect: false }),
      (err) => {
        assert.match(String(err), /authorization/i);
        assert.ok(!String(err).includes("not-the-token"), "the token is not repeated in the error");
        return true;
      },
    );
  });

  it("takes NATS_TOKEN from the environment", async () => {
    const saved = process.env["NATS_TOKEN"];
    process.env["NATS_TOKEN"] = TOKEN;
    try {
      const nc = await connectNats(nats.url, { reconnect: false });
      await nc.close();
    } finally {
      if (saved === undefined) delete process.env["NATS_TOKEN"];
      else process.env["NATS_TOKEN"] = saved;
    }
  });
});
