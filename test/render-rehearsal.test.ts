/**
 * A rehearsal of `glia render k8s`'s manifests without a cluster: the rendered pods' containers run
 * as local processes — their args, their environment, their mounted ConfigMaps and Secrets — against
 * a three-node NATS cluster on loopback configured from the rendered `nats-values.yaml` (its
 * `max_payload` and every role's NKey user). The deploy Jobs run to completion, then the gateway
 * Deployment's replicas and each API's workers start, and requests are served through them, chaining
 * included. Only what names the cluster is translated (see {@link Translation}); a flag or variable
 * the program does not accept stops its process, and this test with it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nkeyAuthenticator } from "@nats-io/transport-node";
import { parse, parseAllDocuments } from "yaml";
import { loadProject } from "../control-plane/config/index.ts";
import { ensureEnvironment } from "../control-plane/runtime/index.ts";
import { CLI } from "./support/cli.ts";
import { get, isFinal, submit, waitFor } from "./support/http.ts";
import { startTestCluster, type TestCluster } from "./support/nats-cluster.ts";
import { freePort } from "./support/ports.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The projects rendered, by the image name `glia build` gives each (the pods' images). */
const PROJECTS: Record<string, string> = {
  "glia-hello": join(ROOT, "examples/hello"),
  "glia-chaining": join(ROOT, "test/fixtures/chaining"),
};
/** Where `glia build` puts the project and `glia build --prepare` links each API's environment, in the images. */
const IMAGE_PROJECT_DIR = "/srv/project";
const IMAGE_API_ENVS = "/var/cache/glia/apis";

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Pod {
  /** `Job/<name>` or `Deployment/<name>#<replica>`. */
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/**
 * What stands in for the cluster: each value that names something only a cluster has, and what it
 * is here. Everything else in a container (every flag, every variable) is run as rendered.
 */
interface Translation {
  /** The NATS Service's URL → the loopback cluster's URLs. */
  natsUrl: [string, string];
  /** A mount path → the folder holding its volume's files here (longest first). */
  mounts: Array<[string, string]>;
  /** A container port (as its flag's value) → a free loopback port. */
  ports: Map<string, string>;
}

describe("the rendered manifests, run as local processes against a three-node NATS", { timeout: 420_000 }, () => {
  let out: string;
  let scratch: string;
  let cluster: TestCluster;
  let docs: Doc[];
  let kustomization: Doc;
  const pods: Pod[] = [];
  const gatewayUrls: string[] = [];

  before(async () => {
    out = mkdtempSync(join(tmpdir(), "glia-rehearsal-out-"));
    scratch = mkdtempSync(join(tmpdir(), "glia-rehearsal-"));
    const render = startPod("render", ["render", "k8s", ...Object.values(PROJECTS), "--out", out], {});
    assert.equal(await render.exited, 0, render.output.join("\n"));
    kustomization = parse(readFileSync(join(out, "kustomization.yaml"), "utf8"));
    docs = (kustomization["resources"] as string[]).flatMap((file) =>
      parseAllDocuments(readFileSync(join(out, file), "utf8")).map((d) => d.toJSON() as Doc),
    );
    cluster = await startTestCluster(natsFromValues());
  });

  after(async () => {
    if (process.env["REHEARSAL_DEBUG"]) for (const p of pods) console.log(p.name, p.output.slice(-15).join("\n"));
    await Promise.all(pods.map(stopPod));
    await cluster?.stop();
    rmSync(out, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The nodes' configuration from nats-values.yaml: the chart merges `config.merge` into each node's. */
  function natsFromValues(): { config: string; connect: { authenticator: ReturnType<typeof nkeyAuthenticator> } } {
    const values = parse(readFileSync(join(out, "nats-values.yaml"), "utf8"));
    assert.equal(values.config.jetstream.enabled, true);
    assert.equal(values.config.cluster.replicas, 3, "the cluster this test starts has three nodes, as the values ask");
    const merge = values.config.merge as Record<string, unknown>;
    const config = Object.entries(merge)
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join("\n");
    const seed = readFileSync(join(out, "nats-identities", "platform.nk"), "utf8").trim();
    return { config: `${config}\n`, connect: { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) } };
  }

  function find(kind: string, name: string): Doc {
    const doc = docs.find((d) => d["kind"] === kind && d["metadata"].name === name);
    assert.ok(doc, `no ${kind}/${name} rendered`);
    return doc;
  }

  /** Runs one pod's container here; its volumes are written under `scratch`. */
  async function runContainer(name: string, pod: Doc, extraArgs: string[], ports: Map<string, string>): Promise<Pod> {
    const spec = pod["spec"].template.spec;
    assert.equal(spec.containers.length, 1, `${name}: one container per pod`);
    const [container] = spec.containers as Doc[];
    assert.equal(container!["command"], undefined, `${name}: the image's entry point (glia) runs the args`);
    const translation: Translation = {
      natsUrl: ["nats://nats:4222", cluster.url],
      mounts: await mountVolumes(name, spec, container!),
      ports,
    };
    // A project's image holds the project and its environments; the gateway's is glia's own image.
    const project = PROJECTS[(container!["image"] as string).replace(/:.*$/, "")];
    if (project) {
      translation.mounts.push([IMAGE_PROJECT_DIR, project]);
      for (const api of (await loadProject(project)).apis) {
        const env = await ensureEnvironment({
          requirementsFile: join(project, api.handler.dependencies.pip),
          shellFile: join(project, api.handler.dependencies.shell),
          projectDir: project,
        });
        translation.mounts.push([`${IMAGE_API_ENVS}/${api.name}`, env.dir]);
      }
    }
    translation.mounts.sort((a, b) => b[0].length - a[0].length);
    const args = translateArgs(container!["args"] as string[], translation);
    const env = translateEnv(name, (container!["env"] ?? []) as Doc[], translation);
    return startPod(name, [...args, ...extraArgs], env);
  }

  /** Each volume mount's files, as the kubelet would write them: ConfigMap keys, Secret keys, empty folders. */
  async function mountVolumes(name: string, spec: Doc, container: Doc): Promise<Array<[string, string]>> {
    const mounts: Array<[string, string]> = [];
    for (const mount of (container["volumeMounts"] ?? []) as Doc[]) {
      const volume = (spec.volumes as Doc[]).find((v) => v["name"] === mount["name"]);
      assert.ok(volume, `${name}: the mount ${mount["name"]} has no volume`);
      const dir = join(scratch, name.replace(/[^\w.-]/g, "_"), mount["name"] as string);
      mkdirSync(dir, { recursive: true });
      if (volume["configMap"]) {
        const data = find("ConfigMap", volume["configMap"].name)["data"] as Record<string, string>;
        for (const [key, text] of Object.entries(data)) writeFileSync(join(dir, key), text);
      } else if (volume["secret"]) {
        for (const [key, text] of Object.entries(generatedSecret(volume["secret"].secretName))) {
          const item = (volume["secret"].items as Doc[] | undefined)?.find((i) => i["key"] === key);
          writeFileSync(join(dir, item ? item["path"] : key), text, { mode: 0o400 });
        }
      } else {
        assert.ok(
          volume["emptyDir"],
          `${name}: the volume ${mount["name"]} is neither a ConfigMap, a Secret nor empty`,
        );
      }
      mounts.push([mount["mountPath"] as string, dir]);
    }
    return mounts;
  }

  /** The keys of a Secret the kustomization's secretGenerator makes, read from its files. */
  function generatedSecret(secretName: string): Record<string, string> {
    const generator = (kustomization["secretGenerator"] as Doc[]).find((g) => g["name"] === secretName);
    assert.ok(generator, `no secretGenerator makes the Secret ${secretName}`);
    return Object.fromEntries(
      (generator["files"] as string[]).map((entry) => {
        const [key, file] = entry.split("=") as [string, string];
        return [key, readFileSync(join(out, file), "utf8")];
      }),
    );
  }

  it("deploys each project with its Job: queues and registry entries, with the platform's identity", async () => {
    const jobs = docs.filter((d) => d["kind"] === "Job");
    assert.equal(jobs.length, 2);
    for (const job of jobs) {
      const pod = await runContainer(`Job/${job["metadata"].name}`, job, [], new Map());
      assert.equal(await pod.exited, 0, pod.output.join("\n"));
      assert.match(pod.output.join("\n"), /creating (hello|chain-a)/);
    }
  });

  it("serves requests through the gateway's replicas and each API's worker pods", async () => {
    const gateway = find("Deployment", "glia-gateway");
    const [container] = gateway["spec"].template.spec.containers as Doc[];
    const ports = new Map<string, string>();
    for (const port of container!["ports"] as Doc[]) ports.set(String(port["containerPort"]), String(await freePort()));
    const internal = (container!["ports"] as Doc[]).find((p) => p["name"] === "internal")!;
    const internalPorts: string[] = [];
    for (let replica = 0; replica < gateway["spec"].replicas; replica++) {
      // Each replica is its own pod with its own address; here, its own ports.
      const own = new Map([...ports].map(([k]) => [k, ""]));
      for (const key of own.keys()) own.set(key, String(await freePort()));
      internalPorts.push(own.get(String(internal["containerPort"]))!);
      const pod = await runContainer(`Deployment/glia-gateway#${replica}`, gateway, [], own);
      const line = await waitForOutput(pod, /glia gateway is serving on (http:\/\/\S+)/);
      gatewayUrls.push(line[1]!.replace(/\/$/, ""));
    }
    // Handlers reach http://api-<name>:8888/ through the api-<name> Services, which point at the
    // gateways' internal port; here, the first replica's.
    for (const api of ["hello", "chain-a", "chain-b"]) {
      const service = find("Service", `api-${api}`)["spec"];
      assert.deepEqual(service.selector, gateway["spec"].selector.matchLabels, `api-${api} selects the gateway pods`);
      assert.equal(service.ports[0].targetPort, internal["name"]);
      assert.equal(service.ports[0].port, 8888);
    }
    const chain = ["--chain-address", `127.0.0.1:${internalPorts[0]}`];
    const workers = docs.filter((d) => d["kind"] === "Deployment" && d["metadata"].name.startsWith("glia-worker-"));
    assert.deepEqual(workers.map((w) => w["metadata"].name).sort(), [
      "glia-worker-chain-a",
      "glia-worker-chain-b",
      "glia-worker-hello",
    ]);
    for (const worker of workers) {
      for (let replica = 0; replica < worker["spec"].replicas; replica++) {
        const pod = await runContainer(`Deployment/${worker["metadata"].name}#${replica}`, worker, chain, new Map());
        await waitForOutput(pod, /worker ready/);
      }
    }

    const [first, second] = gatewayUrls as [string, string];
    const hello = `${first}/hello`;
    const id = await submit(hello, JSON.stringify({ name: "cluster" }), "application/json");
    const done = await waitFor(hello, id, isFinal, 60_000);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const fromSecond = await get(`${second}/hello/${id}`);
    assert.deepEqual(fromSecond.body["result"], done.body["result"], "every gateway replica reads every result");

    const a = `${second}/chain-a`;
    const chained = await waitFor(
      a,
      await submit(a, JSON.stringify({ client: "requests", n: 21 }), "application/json"),
      isFinal,
      90_000,
    );
    assert.equal(chained.body["status"], "completed", JSON.stringify(chained.body));
    const { record } = chained.body["result"] as { record: Record<string, unknown> };
    assert.deepEqual(record["result"], { doubled: 42 }, "chain-a reached chain-b at http://api-chain-b:8888/");
    for (const pod of pods.filter((p) => p.name.startsWith("Deployment/")))
      assert.equal(pod.child.exitCode, null, `${pod.name} is still running`);
  });

  it("gives each worker only its own API: hello's identity cannot pull chain-b's queue", async () => {
    const { connectNats } = await import("../control-plane/platform/index.ts");
    const { jetstream } = await import("@nats-io/jetstream");
    const secret = generatedSecret("glia-nats-worker-hello")["nkey"]!;
    const file = join(scratch, "worker-hello.nk");
    writeFileSync(file, secret, { mode: 0o600 });
    const nc = await connectNats(
      cluster.url,
      { timeout: 5_000 },
      { nkeyFile: file, inboxPrefix: "_INBOX_worker_hello" },
    );
    try {
      const js = jetstream(nc, { timeout: 2_000 });
      await assert.rejects(
        async () => (await js.consumers.get("GLIA_REQ_chain-b", "workers")).next({ expires: 1_000 }),
        /Permissions Violation/,
      );
      // Its own queue answers (nothing waits in it: the request above was served).
      const own = await (await js.consumers.get("GLIA_REQ_hello", "workers")).info();
      assert.equal(own.name, "workers");
    } finally {
      await nc.close();
    }
  });

  it("refuses glia deploy --provision without a NATS to provision, or with --wait, saying why", async () => {
    const alone = startPod("deploy --provision", ["deploy", PROJECTS["glia-hello"]!, "--provision"], {});
    assert.equal(await alone.exited, 2);
    assert.match(
      alone.output.join("\n"),
      /--provision is for a platform whose workers run elsewhere: give its NATS with --nats-url/,
    );
    const args = ["deploy", PROJECTS["glia-hello"]!, "--provision", "--wait", "--nats-url", cluster.url];
    const waiting = startPod("deploy --provision --wait", args, {});
    assert.equal(await waiting.exited, 2);
    assert.match(waiting.output.join("\n"), /--wait waits for glia up's workers/);
  });

  /** Starts `glia <args>` with exactly `env` (and a PATH and HOME), as the image's entry point would. */
  function startPod(name: string, args: string[], env: Record<string, string>): Pod {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: process.env["HOME"] ?? tmpdir(),
        INIT_CWD: ROOT,
        GLIA_STATE_FILE: join(tmpdir(), `glia-rehearsal-state-${process.pid}.json`),
        ...env,
      },
    });
    const output: string[] = [];
    const collect = (chunk: Buffer): void => void output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const pod: Pod = { name, child, output, exited: once(child, "exit").then(([code]) => code as number | null) };
    pods.push(pod);
    return pod;
  }
});

function translateArgs(args: string[], t: Translation): string[] {
  return args.map((word, i) => {
    if (word === t.natsUrl[0]) return t.natsUrl[1];
    if (word === "0.0.0.0") return "127.0.0.1"; // a pod's own address; here, loopback only
    const previous = args[i - 1] ?? "";
    if (/^--(internal-)?port$/.test(previous)) {
      const port = t.ports.get(word);
      assert.ok(port, `${previous} ${word} is not one of the container's ports`);
      return port;
    }
    return translatePath(word, t);
  });
}

function translatePath(word: string, t: Translation): string {
  const mount = t.mounts.find(([path]) => word === path || word.startsWith(`${path}/`));
  return mount ? mount[1] + word.slice(mount[0].length) : word;
}

/** The container's variables: plain values (paths translated); a Secret reference only where optional and absent. */
function translateEnv(name: string, env: Doc[], t: Translation): Record<string, string> {
  const result: Record<string, string> = {};
  for (const variable of env) {
    if (typeof variable["value"] === "string") result[variable["name"]] = translatePath(variable["value"], t);
    else
      assert.equal(
        variable["valueFrom"]?.secretKeyRef?.optional,
        true,
        `${name}: ${variable["name"]} comes from a source this rehearsal does not provide`,
      );
  }
  return result;
}

async function waitForOutput(pod: Pod, pattern: RegExp, timeoutMs = 180_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pod.output.map((line) => pattern.exec(line)).find(Boolean);
    if (found) return found;
    if (pod.child.exitCode !== null || pod.child.signalCode !== null)
      assert.fail(`${pod.name} exited (${pod.child.exitCode ?? pod.child.signalCode}):\n${pod.output.join("\n")}`);
    if (Date.now() > deadline)
      assert.fail(`${pod.name} printed nothing matching ${pattern}:\n${pod.output.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopPod(pod: Pod): Promise<void> {
  if (pod.child.exitCode !== null || pod.child.signalCode !== null) return;
  pod.child.kill("SIGTERM");
  const timer = setTimeout(() => pod.child.kill("SIGKILL"), 20_000);
  await pod.exited;
  clearTimeout(timer);
}
