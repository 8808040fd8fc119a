// Models in object storage, as Cortex users have them: `handler.models.path: s3://...` is fetched
// by the worker into the model cache before the runtime serves, on the real stack against a
// local S3 server (moto), and a model that cannot be fetched fails the deploy with a message
// naming the field and the URL, in `glia deploy --wait` and `glia get`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, CreateBucketCommand } from "@aws-sdk/client-s3";
import { platformState, runCli } from "./support/cli.ts";
import { FIXTURES, startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";
import { MOTO_KEYS, s3Unavailable, startTestS3, type TestS3 } from "./support/s3.ts";

const skip = s3Unavailable();
if (skip) console.log(`# skipped: ${skip}`);

describe("models fetched from S3 on the real stack", { skip: skip ?? false, timeout: 300_000 }, () => {
  let s3: TestS3;
  let stack: TestPlatform;
  let work: string;
  const progress: string[] = [];
  const glia = async (...args: string[]) => {
    const cli = runCli(args, platformState());
    const code = await cli.exited;
    return { code, stderr: cli.stderr.join("\n"), stdout: cli.stdoutLines.join("\n") };
  };
  const put = (key: string, body: string) =>
    s3.admin.send(new PutObjectCommand({ Bucket: "glia-models", Key: key, Body: body }));

  before(async () => {
    s3 = await startTestS3();
    await s3.admin.send(new CreateBucketCommand({ Bucket: "glia-models" }));
    await put("scale/saved_model.pb", "3");
    work = await mkdtemp(join(tmpdir(), "glia-s3-models-"));
    // The platform's (and so its workers') AWS settings, as a user's shell would give them.
    Object.assign(process.env, MOTO_KEYS, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: "us-east-1",
      GLIA_CACHE_DIR: join(work, "cache"),
    });
    stack = await startPlatform(["s3-models"], { onProgress: (line) => progress.push(line) });
  });
  after(async () => {
    await stack?.stop();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("serves the model fetched before the runtime started, from the cache", async () => {
    const url = stack.url("s3-models");
    const done = await waitFor(url, await submit(url, JSON.stringify({ x: 2 }), "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.deepEqual(done.body["result"], { y: 6 });
    assert.ok(
      progress.some((l) => /s3:\/\/glia-models\/scale\//.test(l)),
      `no progress line names the URL:\n${progress.join("\n")}`,
    );
    const models = await readdir(join(work, "cache", "models"));
    assert.equal(models.length, 1, "one cache entry for the one URL");
  });

  it("keeps AWS credentials out of the worker's environment (they are in its plan)", async () => {
    const worker = stack.platform.workers.get("s3-models")!;
    const environ = (await readFile(`/proc/${worker.pid}/environ`, "utf8")).split("\0");
    assert.deepEqual(
      environ.filter((e) => e.startsWith("AWS_")),
      [],
    );
    assert.equal(worker.plan.modelStore?.["AWS_ENDPOINT_URL_S3"], s3.endpoint);
  });

  it("keeps AWS credentials from the handler", async () => {
    const handler = join(work, "env-probe");
    await cp(join(FIXTURES, "s3-models"), handler, { recursive: true });
    await writeFile(
      join(handler, "cortex.yaml"),
      (await readFile(join(handler, "cortex.yaml"), "utf8")).replace("name: s3-models", "name: s3-env-probe"),
    );
    await writeFile(
      join(handler, "handler.py"),
      [
        "import os",
        "class Handler:",
        "    def __init__(self, tensorflow_client, config):",
        "        pass",
        "    def handle_async(self, payload):",
        "        return {'aws': sorted(k for k in os.environ if k.startswith('AWS_'))}",
        "",
      ].join("\n"),
    );
    const deployed = await glia("deploy", handler, "--wait");
    assert.equal(deployed.code, 0, deployed.stderr);
    const url = `${stack.platform.url}/s3-env-probe`;
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.deepEqual(done.body["result"], { aws: [] }, JSON.stringify(done.body));
  });

  it("a model that cannot be fetched fails the deploy, naming the field and the URL", async () => {
    const broken = join(work, "broken");
    await cp(join(FIXTURES, "s3-models"), broken, { recursive: true });
    const yaml = (await readFile(join(broken, "cortex.yaml"), "utf8"))
      .replace("name: s3-models", "name: s3-missing")
      .replace("s3://glia-models/scale/", "s3://glia-models/nothing-here/");
    await writeFile(join(broken, "cortex.yaml"), yaml);
    const deployed = await glia("deploy", broken, "--wait");
    assert.equal(deployed.code, 1, deployed.stderr);
    assert.match(deployed.stderr, /handler\.models\.path/);
    assert.match(deployed.stderr, /s3:\/\/glia-models\/nothing-here\//);
    const got = await glia("get", "s3-missing", "-o", "json");
    const row = JSON.parse(got.stdout) as Record<string, unknown>;
    assert.equal(row["status"], "error");
    assert.match(String(row["message"]), /s3:\/\/glia-models\/nothing-here\//);
  });
});
