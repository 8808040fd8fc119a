import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand, type ObjectCannedACL } from "@aws-sdk/client-s3";
import { ensureModels, ModelFetchError, type ModelCacheOptions } from "../control-plane/runtime/index.ts";
import { resolveRunAs } from "../control-plane/platform/index.ts";
import { runCli } from "./support/cli.ts";
import { MOTO_KEYS, s3Unavailable, startTestS3, type TestS3 } from "./support/s3.ts";
import { freePort } from "./support/ports.ts";

const FETCH_CHILD = fileURLToPath(new URL("./support/fetch-models.ts", import.meta.url));
const unavailable = s3Unavailable();
const GETS = /"GET \/[^ ]*x-id=GetObject/;

// The SDK's later credential sources read process.env: keep the developer's AWS settings (and the
// instance metadata service) out of these tests; each test gives its settings through `env`.
for (const name of Object.keys(process.env)) if (name.startsWith("AWS_")) delete process.env[name];
process.env["AWS_EC2_METADATA_DISABLED"] = "true";

const IRIS: Record<string, string> = {
  "saved_model.pb": "graph-v1",
  "variables/variables.index": "index",
  "variables/variables.data-00000-of-00001": "x".repeat(200_000),
};

async function put(s3: TestS3, bucket: string, key: string, body: string, acl?: ObjectCannedACL): Promise<void> {
  await s3.admin.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body), ...(acl ? { ACL: acl } : {}) }),
  );
}

async function putModel(s3: TestS3, bucket: string, prefix: string, acl?: ObjectCannedACL): Promise<void> {
  for (const [name, body] of Object.entries(IRIS)) await put(s3, bucket, `${prefix}${name}`, body, acl);
}

async function assertIris(dir: string): Promise<void> {
  for (const [name, body] of Object.entries(IRIS)) assert.equal(await readFile(join(dir, name), "utf8"), body, name);
}

/** Names in the URL's cache folder (one per version, plus `url`, `.lock`, `.tmp-*`). */
async function cacheEntries(cacheDir: string): Promise<string[]> {
  const models = join(cacheDir, "models");
  const [key] = await readdir(models);
  return (await readdir(join(models, key!))).sort();
}

async function failure(promise: Promise<unknown>): Promise<ModelFetchError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelFetchError, `expected a ModelFetchError, got ${String(err)}`);
  return err;
}

describe("models from S3, fetched into the local cache", { timeout: 120_000, skip: unavailable ?? false }, () => {
  let s3: TestS3;
  let work: string;
  let caches = 0;
  const newCache = (): string => join(work, `cache-${++caches}`);
  const noFiles = (): Record<string, string> => ({
    AWS_SHARED_CREDENTIALS_FILE: join(work, "absent"),
    AWS_CONFIG_FILE: join(work, "absent"),
  });
  const signed = (): Record<string, string> => ({ AWS_ENDPOINT_URL_S3: s3.endpoint, ...MOTO_KEYS, ...noFiles() });
  const anonymous = (): Record<string, string> => ({ AWS_ENDPOINT_URL_S3: s3.endpoint, ...noFiles() });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "glia-model-fetch-"));
    s3 = await startTestS3();
    await s3.admin.send(new CreateBucketCommand({ Bucket: "models" }));
    await putModel(s3, "models", "iris/nn/");
    await putModel(s3, "models", "zoo/a/");
    await putModel(s3, "models", "zoo/b/");
    await put(s3, "models", "zoo/", ""); // a console's "folder" object, skipped
    await put(s3, "models", "evil/saved_model.pb", "pb");
    await put(s3, "models", "evil/../../../outside", "escape");
    await put(s3, "models", "hollow/a//b", "empty segment");
    await s3.admin.send(new CreateBucketCommand({ Bucket: "public" }));
    await putModel(s3, "public", "nn/", "public-read");
  });
  after(async () => {
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("fetches models.path into a private folder, with start, progress and done lines", async () => {
    const lines: string[] = [];
    const cacheDir = newCache();
    const url = "s3://models/iris/nn/";
    const result = await ensureModels(
      { path: url, signature_key: "serve" },
      {
        cacheDir,
        env: signed(),
        onProgress: (l) => lines.push(l),
      },
    );
    const { path, signature_key } = result.models as { path: string; signature_key: string };
    assert.equal(signature_key, "serve");
    assert.ok(path.startsWith(join(cacheDir, "models")), path);
    await assertIris(path);
    assert.deepEqual(result.fetched, [url]);
    assert.equal((await stat(join(path, "saved_model.pb"))).mode & 0o777, 0o600);
    for (const dir of [path, join(path, "variables"), join(path, "..")]) {
      assert.equal((await stat(dir)).mode & 0o777, 0o700, dir);
    }
    assert.match(lines[0]!, /^fetching s3:\/\/models\/iris\/nn\/: 3 files, 0\.2 MiB into /);
    assert.match(lines.at(-1)!, /^fetched s3:\/\/models\/iris\/nn\/: 3 files, 0\.2 MiB in [\d.]+ s$/);
  });

  it("fetches each of models.paths, once per URL, and leaves project paths alone", async () => {
    const models = {
      paths: [
        { name: "a", path: "s3://models/zoo/a" },
        { name: "b", path: "s3://models/zoo/b/" },
        { name: "again", path: "s3://models/zoo/a" },
        { name: "local", path: "models/local" },
      ],
    };
    const result = await ensureModels(models, { cacheDir: newCache(), env: signed() });
    const paths = (result.models as typeof models).paths.map((p) => p.path);
    await assertIris(paths[0]!);
    await assertIris(paths[1]!);
    assert.equal(paths[2], paths[0]);
    assert.equal(paths[3], "models/local");
    assert.deepEqual(result.fetched, ["s3://models/zoo/a", "s3://models/zoo/b/"]);
    assert.deepEqual(models.paths[0]!.path, "s3://models/zoo/a", "the input is not changed");
  });

  it("fetches models.dir, whose sub-folders are the models", async () => {
    const { models } = await ensureModels({ dir: "s3://models/zoo/" }, { cacheDir: newCache(), env: signed() });
    const dir = (models as { dir: string }).dir;
    assert.deepEqual((await readdir(dir)).sort(), ["a", "b"]);
    await assertIris(join(dir, "b"));
  });

  it("reuses an unchanged model without downloading it, and fetches a changed one again", async () => {
    const cacheDir = newCache();
    await putModel(s3, "models", "changing/");
    const options: ModelCacheOptions = { cacheDir, env: signed() };
    const first = await ensureModels({ path: "s3://models/changing/" }, options);
    const gets = s3.count(GETS);
    const lines: string[] = [];
    const second = await ensureModels(
      { path: "s3://models/changing/" },
      { ...options, onProgress: (l) => lines.push(l) },
    );
    assert.equal(s3.count(GETS), gets, "no object was downloaded again");
    assert.deepEqual(second, { models: first.models, fetched: [] });
    assert.match(lines.join("\n"), /unchanged, using the cached copy/);

    await put(s3, "models", "changing/saved_model.pb", "graph-v2");
    const third = await ensureModels({ path: "s3://models/changing/" }, options);
    const path = (third.models as { path: string }).path;
    assert.notEqual(path, (first.models as { path: string }).path);
    assert.equal(await readFile(join(path, "saved_model.pb"), "utf8"), "graph-v2");
    assert.deepEqual(third.fetched, ["s3://models/changing/"]);
  });

  it("asks anonymously when no credentials are found: a public-read model is fetched, a private one refused", async () => {
    const { models } = await ensureModels({ path: "s3://public/nn/" }, { cacheDir: newCache(), env: anonymous() });
    await assertIris((models as { path: string }).path);
    // moto checks an object's ACL only for unsigned requests, so this refusal shows nothing was signed.
    const err = await failure(
      ensureModels({ path: "s3://models/iris/nn/" }, { cacheDir: newCache(), env: anonymous() }),
    );
    assert.match(err.message, /^handler\.models\.path: could not fetch s3:\/\/models\/iris\/nn\/: .*HTTP 403/);
    assert.match(err.message, /glia found no AWS credentials and asked anonymously.*AWS_ACCESS_KEY_ID/);
  });

  it("names the field, the URL and the bucket when the bucket does not exist", async () => {
    const models = {
      paths: [
        { name: "a", path: "s3://models/zoo/a/" },
        { name: "b", path: "s3://no-such-bucket/nn/" },
      ],
    };
    const err = await failure(ensureModels(models, { cacheDir: newCache(), env: signed() }));
    assert.equal(err.field, "handler.models.paths[1].path");
    assert.equal(err.url, "s3://no-such-bucket/nn/");
    assert.match(err.message, /^handler\.models\.paths\[1\]\.path: could not fetch s3:\/\/no-such-bucket\/nn\/: /);
    assert.match(
      err.message,
      /the bucket "no-such-bucket" does not exist at the S3 endpoint http:\/\/127\.0\.0\.1:\d+: check the bucket name$/,
    );
  });

  it("refuses a prefix with no objects, naming the URL", async () => {
    const err = await failure(
      ensureModels({ dir: "s3://models/nothing-here/" }, { cacheDir: newCache(), env: signed() }),
    );
    assert.match(
      err.message,
      /^handler\.models\.dir: could not fetch s3:\/\/models\/nothing-here\/: there are no objects under s3:\/\/models\/nothing-here\//,
    );
  });

  it("refuses object keys that would leave the model folder, and writes nothing", async () => {
    for (const [url, key] of [
      ["s3://models/evil/", "evil/../../../outside"],
      ["s3://models/hollow/", "hollow/a//b"],
    ] as const) {
      const cacheDir = newCache();
      const err = await failure(ensureModels({ path: url }, { cacheDir, env: signed() }));
      assert.match(
        err.message,
        new RegExp(`the object key ${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is refused`),
      );
      await assert.rejects(readdir(join(cacheDir, "models")), { code: "ENOENT" });
    }
    await assert.rejects(stat(join(work, "outside")), { code: "ENOENT" });
  });

  it("refuses a scheme it cannot fetch, naming the field", async () => {
    const err = await failure(
      ensureModels({ dir: "https://example.com/models/" }, { cacheDir: newCache(), env: signed() }),
    );
    assert.match(
      err.message,
      /^handler\.models\.dir: could not fetch https:\/\/example\.com\/models\/: glia fetches models only from s3:\/\//,
    );
  });

  it("never takes a killed fetch for a model: the next call fetches it whole", async () => {
    const cacheDir = newCache();
    const url = "s3://models/iris/nn/";
    const args = { models: { path: url }, cacheDir, env: signed(), stallAtProgress: true };
    const child = spawn(process.execPath, ["--import", "tsx", FETCH_CHILD, JSON.stringify(args)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const stalled = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => line === "STALLED" && resolve());
      void exited.then(() => reject(new Error("the fetch ended before it stalled")));
    });
    await stalled;
    child.kill("SIGKILL");
    await exited;
    const left = await cacheEntries(cacheDir);
    assert.ok(
      left.some((name) => name.startsWith(".tmp-")),
      `a partial fetch was left: ${left.join(", ")}`,
    );
    assert.deepEqual(
      left.filter((name) => !name.startsWith(".") && name !== "url"),
      [],
      "no version folder",
    );

    const gets = s3.count(GETS);
    const result = await ensureModels({ path: url }, { cacheDir, env: signed() });
    assert.deepEqual(result.fetched, [url]);
    assert.equal(s3.count(GETS) - gets, Object.keys(IRIS).length, "every object was downloaded again");
    await assertIris((result.models as { path: string }).path);
    assert.equal((await cacheEntries(cacheDir)).filter((name) => name.startsWith(".tmp-")).length, 0);
  });

  it("with runAs, gives the model to that user, in a cache of its own it can read", async (t) => {
    if (process.getuid?.() !== 0) return t.skip("runAs needs the tests to run as root");
    const runAs = await resolveRunAs("nobody");
    await chmod(work, 0o755); // mkdtemp's 0700 would keep the user out of everything below it
    const cacheDir = newCache();
    const { models } = await ensureModels({ path: "s3://models/iris/nn/" }, { cacheDir, env: signed(), runAs });
    const path = (models as { path: string }).path;
    assert.ok(path.startsWith(join(cacheDir, "users", "nobody", "models")), path);
    const file = await stat(join(path, "saved_model.pb"));
    assert.deepEqual([file.uid, file.mode & 0o777], [runAs.uid, 0o600]);
    const root = await stat(join(cacheDir, "users", "nobody"));
    assert.deepEqual([root.uid, root.mode & 0o777], [runAs.uid, 0o700]);
    const cat = spawn("cat", [join(path, "saved_model.pb")], {
      uid: runAs.uid,
      gid: runAs.gid,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    cat.stdout.on("data", (c: Buffer) => chunks.push(c));
    const [code] = (await once(cat, "exit")) as [number];
    assert.equal(code, 0, "the user reads its model");
    assert.equal(Buffer.concat(chunks).toString(), IRIS["saved_model.pb"]);
  });

  it("uses the complete cached copy with a warning when S3 cannot be reached, and fails without one", async () => {
    const cacheDir = newCache();
    const url = "s3://models/iris/nn/";
    const outage = await startTestS3();
    const env = { ...signed(), AWS_ENDPOINT_URL_S3: outage.endpoint };
    let models: unknown;
    try {
      await outage.admin.send(new CreateBucketCommand({ Bucket: "models" }));
      await putModel(outage, "models", "iris/nn/");
      models = (await ensureModels({ path: url }, { cacheDir, env })).models;
    } finally {
      await outage.stop();
    }
    const lines: string[] = [];
    const warned: string[] = [];
    const logger = {
      warn: (_: unknown, message: string) => warned.push(message),
    } as unknown as ModelCacheOptions["logger"];
    const offline = await ensureModels({ path: url }, { cacheDir, env, logger, onProgress: (l) => lines.push(l) });
    assert.deepEqual(offline, { models, fetched: [] });
    assert.match(
      warned[0]!,
      /S3 could not be reached for s3:\/\/models\/iris\/nn\/ .*using the cached copy in .*may be out of date/,
    );
    assert.match(lines.join("\n"), /^warning: /m);

    const err = await failure(ensureModels({ path: url }, { cacheDir: newCache(), env }));
    assert.match(err.message, /could not be reached and no complete cached copy of this URL exists/);
    // The same URL at another endpoint is another model: the copy above does not stand in for it.
    const elsewhere = { ...env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await freePort()}` };
    await failure(ensureModels({ path: url }, { cacheDir, env: elsewhere }));
  });
});

describe(
  "models from S3 with credentials, moto checking every signature",
  { timeout: 120_000, skip: unavailable ?? false },
  () => {
    let s3: TestS3;
    let work: string;
    let reader: { accessKeyId: string; secretAccessKey: string };
    const url = "s3://private/nn/";
    const base = (): Record<string, string> => ({
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_SHARED_CREDENTIALS_FILE: join(work, "absent"),
      AWS_CONFIG_FILE: join(work, "absent"),
    });

    before(async () => {
      work = await mkdtemp(join(tmpdir(), "glia-model-auth-"));
      s3 = await startTestS3();
      reader = await s3.createUser("glia-reader");
      await s3.admin.send(new CreateBucketCommand({ Bucket: "private" }));
      await putModel(s3, "private", "nn/");
      await s3.enforceAuth();
    });
    after(async () => {
      await s3?.stop();
      await rm(work, { recursive: true, force: true });
    });

    it("signs with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment", async () => {
      const env = { ...base(), AWS_ACCESS_KEY_ID: reader.accessKeyId, AWS_SECRET_ACCESS_KEY: reader.secretAccessKey };
      const { models } = await ensureModels({ path: url }, { cacheDir: join(work, "env"), env });
      await assertIris((models as { path: string }).path);

      const wrong = { ...env, AWS_SECRET_ACCESS_KEY: "not-the-secret" };
      const err = await failure(ensureModels({ path: url }, { cacheDir: join(work, "wrong"), env: wrong }));
      assert.match(err.message, /the credentials \(AWS_ACCESS_KEY_ID\) were refused: check that they are valid/);
      assert.doesNotMatch(err.message, /not-the-secret/);
    });

    it("signs with the profile AWS_PROFILE names in AWS_SHARED_CREDENTIALS_FILE", async () => {
      const file = join(work, "credentials");
      const profile = `[glia-models]\naws_access_key_id = ${reader.accessKeyId}\naws_secret_access_key = ${reader.secretAccessKey}\n`;
      await writeFile(file, profile, { mode: 0o600 });
      const env = { ...base(), AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: "glia-models" };
      const { models } = await ensureModels({ path: url }, { cacheDir: join(work, "profile"), env });
      await assertIris((models as { path: string }).path);

      const missing = { ...env, AWS_PROFILE: "no-such-profile" };
      const err = await failure(ensureModels({ path: url }, { cacheDir: join(work, "missing"), env: missing }));
      assert.match(err.message, /the AWS profile "no-such-profile" gave no credentials/);
    });
  },
);

describe("glia deploy of a model URL", { timeout: 60_000 }, () => {
  let project: string;
  const write = async (path: string): Promise<void> => {
    const api = {
      name: "iris",
      kind: "AsyncAPI",
      handler: { type: "tensorflow", path: "handler.py", models: { path } },
    };
    await writeFile(join(project, "cortex.yaml"), JSON.stringify([api]));
  };
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "glia-model-deploy-"));
    await writeFile(join(project, "handler.py"), "class Handler: ...\n");
  });
  after(() => rm(project, { recursive: true, force: true }));

  it("refuses an http:// model path before it looks for a platform, naming the field and the schemes", async () => {
    await write("http://example.com/nn/");
    const cli = runCli(["deploy", project]);
    assert.equal(await cli.exited, 1);
    const text = cli.stderr.join("\n");
    assert.match(
      text,
      /iris \(AsyncAPI\): handler\.models\.path: `http:\/\/example\.com\/nn\/`: glia cannot fetch models from http:\/\/ URLs; use `s3:\/\/`/,
    );
    assert.doesNotMatch(text, /no running glia found/);
  });

  it("takes Cortex's s3:// example path (and then looks for the platform)", async () => {
    await write("s3://cortex-examples/tensorflow/iris-classifier/nn/");
    const cli = runCli(["deploy", project]);
    await cli.exited;
    const text = cli.stderr.join("\n");
    assert.doesNotMatch(text, /handler\.models/);
    assert.match(text, /no running glia found/);
  });
});
