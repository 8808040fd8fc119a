import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect, nkeys, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connectNats, LocalNatsAuth, readState, startNatsServer } from "../control-plane/platform/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { submit, waitFor } from "./support/http.ts";
import { platformState, runCli } from "./support/cli.ts";

/** What the platform is started with and no handler may ever see. */
const SECRETS: Record<string, string> = {
  GLIA_API_KEYS: "platform-api-key-7d1c8e",
  NATS_TOKEN: "platform-nats-token-41be2a",
  AWS_SECRET_ACCESS_KEY: "platform-aws-secret-93fd0c",
  PLATFORM_PRIVATE_SETTING: "platform-private-value-5a7e",
};

const PERMISSION = /permission/i;

describe("glia's own nats-server: authenticated, least privilege, nothing for handlers", { timeout: 300_000 }, () => {
  let stack: TestPlatform;
  let authDir: string;
  let natsPort: number;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    for (const [name, value] of Object.entries(SECRETS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    stack = await startPlatform(["hostile-handler"]);
    authDir = dirname(stack.nats.credentials!.nkeyFile!);
    natsPort = Number(new URL(stack.nats.url).port);
  });
  after(async () => {
    await stack?.stop();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** A connection as one of the platform's roles, by its seed file. */
  const as = (role: string): Promise<NatsConnection> =>
    connectNats(
      stack.nats.url,
      { name: `test-${role}` },
      { nkeyFile: join(authDir, `${role}.nk`), inboxPrefix: `_INBOX_${role.replace("-", "_")}` },
    );

  it("refuses a connection without credentials, or with a key it does not know", async () => {
    await assert.rejects(connect({ servers: stack.nats.url, reconnect: false }), /authorization/i);
    const stranger = nkeys.createUser();
    const { nkeyAuthenticator } = await import("@nats-io/transport-node");
    await assert.rejects(
      connect({ servers: stack.nats.url, reconnect: false, authenticator: nkeyAuthenticator(stranger.getSeed()) }),
      /authorization/i,
    );
  });

  it("gives a handler none of the platform's secrets, only its .env, handler.env and ordinary variables", async () => {
    const url = stack.url("snoop");
    const id = await submit(url, JSON.stringify({ nats_port: natsPort }), "application/json");
    const record = (await waitFor(url, id, (s) => s === "completed" || s === "failed")).body;
    assert.equal(record["status"], "completed", JSON.stringify(record));
    const result = record["result"] as { environ: Record<string, string>; nats: { info: string; answer: string } };
    const environ = result.environ;
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.equal(environ[name], undefined, `${name} reached the handler`);
      assert.ok(!Object.values(environ).some((v) => v.includes(value)), `the value of ${name} reached the handler`);
    }
    assert.deepEqual(
      Object.keys(environ).filter((k) => k.startsWith("NATS")),
      [],
      "no NATS variable reaches a handler",
    );
    assert.ok(!Object.values(environ).some((v) => v.includes(authDir)), "no path to the platform's keys");
    assert.equal(environ["FROM_HANDLER_ENV"], "yes");
    assert.equal(environ["FROM_DOT_ENV"], "yes");
    assert.ok(environ["PATH"], "ordinary variables are kept");
    // The handler found the server's port and spoke NATS to it: it is refused.
    assert.equal(result.nats.info, "INFO");
    assert.match(result.nats.answer, /-ERR 'Authorization Violation'/);
  });

  it("lets one API's worker reach its own records only, and no role but the CLI and platform write the registry", async () => {
    const victimUrl = stack.url("victim");
    const victimId = await submit(victimUrl, JSON.stringify("private"), "application/json");
    await waitFor(victimUrl, victimId, (s) => s === "completed");
    const snoopUrl = stack.url("snoop");
    const snoopId = await submit(snoopUrl, "{}", "application/json");
    await waitFor(snoopUrl, snoopId, (s) => s === "completed");

    const worker = await as("worker-snoop");
    try {
      const results = await new Kvm(jetstream(worker)).open("glia-results", { allow_direct: true });
      assert.equal((await results.get(`snoop.${snoopId}`))?.json<{ status: string }>().status, "completed");
      await assert.rejects(results.get(`victim.${victimId}`), PERMISSION, "another API's record");
      await assert.rejects(results.put(`victim.${victimId}`, "{}"), PERMISSION, "writing another API's record");
      const registry = await new Kvm(jetstream(worker)).open("glia-apis", { allow_direct: true });
      await assert.rejects(registry.get("victim"), PERMISSION, "reading the registry");
      await assert.rejects(registry.put("evil", "{}"), PERMISSION, "writing the registry");
      const jsm = await jetstreamManager(worker);
      await assert.rejects(jsm.streams.info("GLIA_REQ_victim"), PERMISSION, "another API's queue");
      await assert.rejects(jsm.streams.delete("KV_glia-results"), PERMISSION, "deleting the records");
    } finally {
      await worker.close();
    }

    const gateway = await as("gateway");
    try {
      const registry = await new Kvm(jetstream(gateway)).open("glia-apis", { allow_direct: true });
      assert.ok(await registry.get("victim"), "a gateway reads the registry");
      await assert.rejects(registry.put("evil", "{}"), PERMISSION, "a gateway writing the registry");
      await assert.rejects(
        jetstream(gateway).publish("$O.glia-bundles.C.evil", "x"),
        PERMISSION,
        "a gateway writing bundles",
      );
    } finally {
      await gateway.close();
    }
  });

  it("lets a glia gateway beside it connect with the gateway's key from the state file, and serve", async () => {
    // The keys this test process holds are the platform's secret; this gateway serves without keys.
    const gateway = runCli(["gateway", "--port", "0", "--internal-port", "0"], {
      ...platformState(),
      GLIA_API_KEYS: "",
    });
    try {
      const [, url] = await gateway.waitForLine(/serving on (http:\/\/\S+)/, 60_000);
      const id = await submit(`${url}/victim`, JSON.stringify("through a second gateway"), "application/json");
      const done = await waitFor(`${url}/victim`, id, (s) => s === "completed");
      assert.deepEqual(done.body["result"], { "secret result": "through a second gateway" });
    } finally {
      gateway.child.kill("SIGTERM");
      await gateway.exited;
    }
    const logged = gateway.logs.filter((l) => /violation/i.test(JSON.stringify(l)));
    assert.deepEqual(logged, [], "the gateway's role covers all it does");
  });

  it("keeps the keys, configuration, store and state private to glia's user, and off command lines", async () => {
    const natsDir = dirname(authDir);
    const dataDir = dirname(natsDir);
    const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);
    assert.equal(await mode(dataDir), "700");
    assert.equal(await mode(natsDir), "700");
    assert.equal(await mode(authDir), "700");
    for (const name of await readdir(authDir)) assert.equal(await mode(join(authDir, name)), "600", name);
    for (const name of await readdir(natsDir))
      if ((await stat(join(natsDir, name))).isFile()) assert.equal(await mode(join(natsDir, name)), "600", name);
    const conf = await readFile(join(natsDir, "nats-server.conf"), "utf8");
    assert.match(conf, /authorization/);
    assert.doesNotMatch(conf, /\bSU[A-Z2-7]{56}\b/, "the configuration holds public keys only, no seed");
    const stateFile = process.env["GLIA_STATE_FILE"]!;
    assert.equal(await mode(stateFile), "600");
    const state = await readState();
    assert.equal(state?.nats?.cli.nkeyFile, join(authDir, "cli.nk"));

    const seeds = await Promise.all((await readdir(authDir)).map((n) => readFile(join(authDir, n), "utf8")));
    const worker = stack.platform.workers.get("snoop")!;
    const workerPid = worker.pid!;
    const cmdline = await readFile(`/proc/${workerPid}/cmdline`, "utf8");
    const environ = (await readFile(`/proc/${workerPid}/environ`, "utf8")).split("\0");
    for (const seed of seeds) assert.ok(!cmdline.includes(seed.trim()) && !environ.join("\n").includes(seed.trim()));
    // Its identity is named in the plan sent over its IPC channel, not in its environment.
    assert.equal(worker.plan.nats.credentials?.nkeyFile, join(authDir, "worker-snoop.nk"), "its own identity");
    assert.deepEqual(
      environ.filter((e) => e.startsWith("NATS_")),
      [],
    );
    for (const name of Object.keys(SECRETS))
      assert.ok(!environ.some((e) => e.startsWith(`${name}=`)), `${name} reached the worker process`);
  });
});

describe("identities added while the server runs", { timeout: 60_000 }, () => {
  it("are all in force after concurrent reloads, and JetStream stays on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "glia-reloads-"));
    const auth = await LocalNatsAuth.create(join(dir, "auth"));
    const server = await startNatsServer({ dataDir: join(dir, "nats"), authorization: () => auth.authorization() });
    try {
      const apis = Array.from({ length: 8 }, (_, i) => `api-${i}`);
      const identities = await Promise.all(
        apis.map(async (api) => {
          const { identity } = await auth.worker(api);
          await server.reload();
          return identity;
        }),
      );
      for (const identity of identities) {
        const nc = await connectNats(server.url, { reconnect: false }, identity);
        const info = await (await jetstreamManager(nc)).getAccountInfo();
        assert.ok(info.limits, "JetStream answers each new identity");
        await nc.close();
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
