import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, stopClis, type RunningCli } from "./support/cli.ts";
import { FIXTURES } from "./support/platform.ts";

const KEY = "cli-key-0123456789abcdef";

describe("glia up and glia gateway: API keys and CORS origins from the command line", { timeout: 180_000 }, () => {
  const started: RunningCli[] = [];
  const dirs: string[] = [];
  after(async () => {
    await stopClis(started);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), "glia-cli-policy-"));
    dirs.push(dir);
    return dir;
  };
  const refused = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const cli = runCli(args, env);
    started.push(cli);
    assert.equal(await cli.exited, 1, cli.stderr.join("\n"));
    return cli.stderr.join("\n");
  };

  it("serve CORS to the origins named by repeated --cors-origin flags, with keys from GLIA_API_KEYS", async () => {
    const data = await tempDir();
    const cli = runCli(
      ["up", `${FIXTURES}echo-payloads`, "--port", "0", "--data-dir", data].concat([
        "--cors-origin",
        "https://a.example",
        "--cors-origin",
        "https://b.example,https://c.example",
      ]),
      { GLIA_API_KEYS: KEY },
    );
    started.push(cli);
    const [, url] = await cli.waitForLine(/^ {2}echo \(1 runtime\): (http:\/\/127\.0\.0\.1:\d+\/echo)$/);
    const post = (origin: string, key?: string) =>
      fetch(url!, {
        method: "POST",
        headers: { origin, "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: "{}",
      });
    for (const origin of ["https://a.example", "https://c.example"]) {
      const res = await post(origin, KEY);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
    }
    const other = await post("https://d.example", KEY);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal((await post("https://a.example")).status, 401, "the keys from GLIA_API_KEYS are required");
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
  });

  it("refuse a --cors-origin or GLIA_CORS_ORIGINS value that is not an origin, before starting anything", async () => {
    const fromFlag = await refused(["up", "--port", "0", "--cors-origin", "https://ok.example,https://bad.example/"]);
    assert.match(fromFlag, /error: --cors-origin takes origins, .* got "https:\/\/bad\.example\/"/);
    const fromEnv = await refused(["up", "--port", "0"], { GLIA_CORS_ORIGINS: "app.example.com" });
    assert.match(fromEnv, /got "app\.example\.com"/);
    const gateway = await refused(["gateway", "--nats-url", "nats://127.0.0.1:1", "--cors-origin", "nope"]);
    assert.match(gateway, /got "nope"/);
  });

  it("refuse a key file line that is not <key> or <api>:<key>, naming the line and not the key", async () => {
    const file = join(await tempDir(), "keys.txt");
    await writeFile(file, `# keys\n${KEY}\nMy_Api:${KEY}\n`);
    for (const command of [
      ["up", "--port", "0"],
      ["gateway", "--nats-url", "nats://127.0.0.1:1"],
    ]) {
      const text = await refused([...command, "--api-keys-file", file]);
      assert.match(text, new RegExp(`${file} line 3: the part before the first \`:\` is not an API name`));
      assert.ok(!text.includes(KEY), text);
    }
  });
});
