/**
 * `glia render k8s` end to end: the real CLI renders the examples and a GPU/shm/scale-to-zero
 * fixture; every core object passes kubernetes-validate's strict schemas, every ScaledObject its
 * typed model's validation, and every container's command line is accepted by glia's own CLI.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { runCli, stopClis, type RunningCli } from "./support/cli.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const VALIDATE = join(ROOT, ".venv", "bin", "kubernetes-validate");
/** A version kubernetes-validate 1.37.0 ships strict schemas for. */
const KUBERNETES_VERSION = "1.37.0";
const PROJECTS = ["examples/hello", "examples/iris", "test/fixtures/render-gpu-shm-scale-to-zero"];
/** Where each rendered API's project is here, for running its worker's command line. */
const PROJECT_OF: Record<string, string> = {
  hello: "examples/hello",
  "iris-classifier": "examples/iris",
  generator: "test/fixtures/render-gpu-shm-scale-to-zero",
  summarizer: "test/fixtures/render-gpu-shm-scale-to-zero",
};

/** Where each project's image (as glia build tags it) comes from here. */
const PROJECT_OF_IMAGE: Record<string, string> = {
  "glia-hello": "examples/hello",
  "glia-iris": "examples/iris",
  "glia-render-gpu-shm-scale-to-zero": "test/fixtures/render-gpu-shm-scale-to-zero",
};

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const started: RunningCli[] = [];
let out: string;
let docs: Array<{ file: string; doc: Doc }>;

async function glia(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const cli = runCli(args);
  started.push(cli);
  const code = await cli.exited;
  return { code, stderr: cli.stderr.join("\n") };
}

/** A 127.0.0.1 port nothing listens on (one just closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe("glia render k8s", { timeout: 120_000 }, () => {
  before(async () => {
    out = mkdtempSync(join(tmpdir(), "glia-render-k8s-"));
    const { code, stderr } = await glia(["render", "k8s", ...PROJECTS, "--out", out, "--image-tag", "v1"]);
    assert.equal(code, 0, stderr);
    docs = manifestFiles().flatMap((file) =>
      parseAllDocuments(readFileSync(join(out, file), "utf8")).map((d) => ({ file, doc: d.toJSON() as Doc })),
    );
  });
  after(async () => {
    await stopClis(started);
    rmSync(out, { recursive: true, force: true });
  });

  it("lists every manifest it wrote in kustomization.yaml, one per API plus the gateway's, policies and deploy Jobs", () => {
    const kustomization = parse(readFileSync(join(out, "kustomization.yaml"), "utf8"));
    const written = manifestFiles();
    assert.deepEqual([...kustomization.resources].sort(), written.sort());
    assert.deepEqual(written.sort(), [
      "api-generator.yaml",
      "api-hello.yaml",
      "api-iris-classifier.yaml",
      "api-summarizer.yaml",
      "deploy-jobs.yaml",
      "gateway.yaml",
      "network-policies.yaml",
    ]);
    assert.deepEqual(
      readdirSync(out).sort(),
      [...written, "kustomization.yaml", "nats-identities", "nats-values.yaml"].sort(),
    );
  });

  it("keeps the NATS identities' seeds private, and the same when rendering again", async () => {
    const dir = join(out, "nats-identities");
    assert.equal(statSync(out).mode & 0o777, 0o700);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const seeds = readdirSync(dir).filter((f) => f.endsWith(".nk"));
    assert.equal(seeds.length, 3 + 4, seeds.join(", "));
    for (const seed of seeds) assert.equal(statSync(join(dir, seed)).mode & 0o777, 0o600, seed);
    assert.match(readFileSync(join(dir, ".gitignore"), "utf8"), /^\*\.nk$/m);
    const values = readFileSync(join(out, "nats-values.yaml"), "utf8");
    for (const seed of seeds) assert.ok(!values.includes(readFileSync(join(dir, seed), "utf8").trim()), seed);
    const before = readFileSync(join(dir, "gateway.nk"), "utf8");
    const { code, stderr } = await glia(["render", "k8s", ...PROJECTS, "--out", out, "--image-tag", "v1"]);
    assert.equal(code, 0, stderr);
    assert.equal(readFileSync(join(dir, "gateway.nk"), "utf8"), before, "rendering again keeps the identities");
    assert.equal(readFileSync(join(out, "nats-values.yaml"), "utf8"), values);
  });

  it("writes core objects that kubernetes-validate --strict accepts", async () => {
    const core = docs.filter(({ doc }) => doc["kind"] !== "ScaledObject");
    assert.ok(core.length >= 3 + 2 + 4 * 4, `only ${core.length} core objects`);
    const files = manifestFiles().map((f) => join(out, f));
    const args = ["--strict", "--kubernetes-version", KUBERNETES_VERSION, ...files];
    const { stdout, stderr } = await promisify(execFile)(VALIDATE, args).catch((err: Error & { stdout: string }) => {
      assert.fail(`kubernetes-validate rejected the manifests:\n${err.stdout}`);
    });
    const passed = stdout.split("\n").filter((line) => line.includes(" passed for resource "));
    assert.equal(passed.length, core.length, stdout);
    // It has no schema for KEDA's kinds; those are checked below, and nothing else may be skipped.
    const warnings = (stdout + stderr).split("\n").filter((line) => line.startsWith("WARN"));
    assert.ok(
      warnings.every((line) => line.includes("kind ScaledObject with api version keda.sh/v1alpha1")),
      warnings.join("\n"),
    );
  });

  it("writes ScaledObjects that KEDA's typed model validates", () => {
    const scaled = docs.filter(({ doc }) => doc["kind"] === "ScaledObject");
    assert.equal(scaled.length, 4);
    for (const { doc } of scaled) new ScaledObject(doc as ConstructorParameters<typeof ScaledObject>[0]).validate();
    const broken = structuredClone(scaled[0]!.doc);
    broken["spec"].minReplicaCount = "none";
    assert.throws(() => new ScaledObject(broken as ConstructorParameters<typeof ScaledObject>[0]).validate());
  });

  it("refuses bad options before writing anything, naming each", async () => {
    const target = join(out, "refused");
    const args = ["render", "k8s", "examples/hello", "--out", target, "--nats-url", "nats://user:secret@nats:4222"];
    const { code, stderr } = await glia([...args, "--image-prefix", "registry"]);
    assert.equal(code, 1);
    assert.match(stderr, /--nats-url must be nats:\/\/host:port without credentials/);
    assert.match(stderr, /--image-prefix must end with \//);
    assert.ok(!stderr.includes("secret@"), "the credentials written in --nats-url are not echoed");
    assert.ok(!readdirSync(out).includes("refused"), "nothing was written");
    const replicas = await glia(["render", "k8s", "examples/hello", "--out", target, "--gateway-replicas", "0"]);
    assert.equal(replicas.code, 2);
    assert.match(replicas.stderr, /--gateway-replicas must be a whole number of at least 1, got 0/);
  });

  it("runs command lines glia's CLI accepts: each pod's glia gets as far as connecting to NATS", async () => {
    const deployments = docs.filter(({ doc }) => doc["kind"] === "Deployment" || doc["kind"] === "Job");
    assert.equal(deployments.length, 5 + 3);
    const natsUrl = `nats://127.0.0.1:${await closedPort()}`;
    const scratch = mkdtempSync(join(tmpdir(), "glia-render-args-"));
    try {
      for (const { doc } of deployments) {
        const [container] = doc["spec"].template.spec.containers;
        assert.equal(container.command, undefined, "the image's entry point (glia) runs the args");
        const args = here(container.args, doc, scratch, natsUrl);
        const { code, stderr } = await glia(args);
        assert.notEqual(code, 0);
        assert.match(
          stderr,
          /could not connect to NATS at nats:\/\/127\.0\.0\.1/,
          `glia ${args.join(" ")}:\n${stderr}`,
        );
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/**
 * A pod's args made to run here: only values that name the cluster (the NATS URL, the listeners'
 * addresses, the paths inside the image) change; every flag stays as rendered.
 */
function here(args: string[], deployment: Doc, scratch: string, natsUrl: string): string[] {
  const api: string | undefined = deployment["metadata"].labels["glia.dev/api"];
  const image: string = deployment["spec"].template.spec.containers[0].image;
  const values: Record<string, string> = {
    "--nats-url": natsUrl,
    "--host": "127.0.0.1",
    "--internal-host": "127.0.0.1",
  };
  Object.assign(values, { "--port": "0", "--internal-port": "0" });
  if (api !== undefined) {
    const specFile = join(scratch, `${api}.json`);
    writeFileSync(specFile, configMapOf(api)["data"]["spec.json"]);
    Object.assign(values, {
      "--spec-file": specFile,
      "--project": join(ROOT, PROJECT_OF[api]!),
      "--python": "python3",
    });
  }
  const project = PROJECT_OF_IMAGE[image.replace(/:v1$/, "")];
  return args
    .map((word, i) => (i > 0 && values[args[i - 1]!] !== undefined ? values[args[i - 1]!]! : word))
    .map((word) => (word === "/srv/project" && project ? join(ROOT, project) : word));
}

/** The manifests (kustomization resources) in the output folder. */
function manifestFiles(): string[] {
  return readdirSync(out).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml" && f !== "nats-values.yaml");
}

function configMapOf(api: string): Doc {
  const found = docs.find(({ doc }) => doc["kind"] === "ConfigMap" && doc["metadata"].labels["glia.dev/api"] === api);
  assert.ok(found, `no ConfigMap for ${api}`);
  return found.doc;
}
