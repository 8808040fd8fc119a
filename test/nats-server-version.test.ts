/**
 * The nats-server glia starts: the pinned one from the tools environment (or GLIA_NATS_SERVER),
 * and a clear refusal, naming the fix, of one that is missing or older than 2.11.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readlink, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkNatsServerVersion,
  MIN_NATS_SERVER_VERSION,
  natsServerBinary,
  NatsStartError,
  parseNatsServerVersion,
  startNatsServer,
} from "../control-plane/platform/index.ts";
import { runCli, stopClis, type RunningCli } from "./support/cli.ts";
import { FIXTURES } from "./support/platform.ts";

const TOOLS_NATS_SERVER = fileURLToPath(new URL("../.venv/bin/nats-server", import.meta.url));

/** An executable that answers `--version` as a nats-server of that version would, and does nothing else. */
async function fakeServer(dir: string, version: string): Promise<string> {
  const path = join(dir, `nats-server-${version}`);
  await writeFile(path, `#!/bin/sh\necho "nats-server: v${version}"\n`);
  await chmod(path, 0o755);
  return path;
}

describe("the nats-server glia starts", { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const started: RunningCli[] = [];
  const temp = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), "glia-nats-version-"));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    await stopClis(started);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("reads the version nats-server --version prints", () => {
    assert.equal(parseNatsServerVersion("nats-server: v2.15.1\n"), "2.15.1");
    assert.equal(parseNatsServerVersion("nats-server: v2.9.10"), "2.9.10");
    assert.equal(parseNatsServerVersion("something else"), null);
  });

  it("is the tools environment's pinned build unless GLIA_NATS_SERVER names another, and is 2.11 or newer", async () => {
    assert.equal(natsServerBinary({}), TOOLS_NATS_SERVER, "scripts/setup.sh installs it into .venv");
    assert.equal(natsServerBinary({ GLIA_NATS_SERVER: "/opt/nats/nats-server" }), "/opt/nats/nats-server");
    const binary = natsServerBinary();
    const version = await checkNatsServerVersion(binary);
    const [major, minor] = version.split(".").map(Number);
    assert.ok(major! > 2 || (major === 2 && minor! >= 11), `nats-server ${version} is older than 2.11`);
    const dir = await temp();
    const server = await startNatsServer({ dataDir: dir });
    try {
      assert.equal(await readlink(`/proc/${server.pid}/exe`), await realpath(binary), "the process runs that binary");
    } finally {
      await server.stop();
    }
  });

  it("refuses a nats-server older than the minimum, naming its version and the fix", async () => {
    const dir = await temp();
    const old = await fakeServer(dir, "2.10.29");
    await assert.rejects(startNatsServer({ dataDir: join(dir, "nats"), binary: old }), (err: unknown) => {
      assert.ok(err instanceof NatsStartError);
      assert.match(err.message, /is version 2\.10\.29; glia needs 2\.11\.0 or newer/);
      assert.match(err.message, /npm run setup.*GLIA_NATS_SERVER/);
      return true;
    });
    assert.equal(await checkNatsServerVersion(await fakeServer(dir, MIN_NATS_SERVER_VERSION)), "2.11.0");
  });

  it("refuses a missing binary, naming the fix", async () => {
    const dir = await temp();
    await assert.rejects(
      checkNatsServerVersion(join(dir, "no-such-nats-server")),
      /was not found\. Run `npm run setup`/,
    );
  });

  it("glia up with GLIA_NATS_SERVER set to nats-server 2.9.10 exits with the refusal", async () => {
    const dir = await temp();
    const cli = runCli(["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", join(dir, "data")], {
      GLIA_NATS_SERVER: await fakeServer(dir, "2.9.10"),
    });
    started.push(cli);
    assert.notEqual(await cli.exited, 0);
    const said = cli.stderr.join("\n");
    assert.match(said, /nats-server \S+nats-server-2\.9\.10 is version 2\.9\.10; glia needs 2\.11\.0 or newer/, said);
    assert.match(said, /GLIA_NATS_SERVER/);
  });
});
