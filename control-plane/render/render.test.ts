import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";
import { checkResolvedSpec, loadProject, RegistryEntryError, type LoadedProject } from "../config/index.ts";
import { NATS_MAX_PAYLOAD_BYTES, permissionsFor } from "../jobs/index.ts";
import {
  manifestTexts,
  renderKubernetes,
  renderManifestFiles,
  renderNatsValues,
  renderRoles,
  renderWarnings,
  RenderError,
  type RenderOptions,
} from "./index.ts";

const FIXTURE = fileURLToPath(new URL("../../test/fixtures/render-gpu-shm-scale-to-zero", import.meta.url));
const OPTIONS: RenderOptions = {
  layout: { projectDir: "/srv/project", user: "10001:10001", cacheDir: "/var/cache/glia" },
  gatewayImage: "glia-cpu:0.1.0",
};
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function project(apis: Array<Record<string, unknown>>): Promise<LoadedProject> {
  const dir = mkdtempSync(join(tmpdir(), "glia-render-"));
  dirs.push(dir);
  writeFileSync(join(dir, "handler.py"), "class Handler: ...\n");
  const entries = apis.map((api) => ({ kind: "AsyncAPI", handler: { type: "python", path: "handler.py" }, ...api }));
  writeFileSync(join(dir, "cortex.yaml"), stringify(entries));
  return loadProject(dir);
}

/** The rendered objects as plain JSON, found by kind and name. */
async function rendered(options: Partial<RenderOptions> = {}) {
  const objects = renderKubernetes([await loadProject(FIXTURE)], { ...OPTIONS, ...options });
  const plain = objects.map((o) => o.toJSON() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
  const find = (kind: string, name: string) => {
    const found = plain.find((o) => o["kind"] === kind && o["metadata"].name === name);
    assert.ok(found, `no ${kind} ${name} among ${plain.map((o) => `${o["kind"]}/${o["metadata"].name}`).join(", ")}`);
    return found;
  };
  return { plain, find };
}

describe("renderKubernetes: cortex.yaml → worker Deployment", () => {
  it("maps compute.cpu/mem to requests, mem to the memory limit and compute.gpu to nvidia.com/gpu", async () => {
    const { find } = await rendered();
    const container = find("Deployment", "glia-worker-generator").spec.template.spec.containers[0];
    assert.deepEqual(container.resources, {
      requests: { cpu: "2", memory: "8Gi" },
      limits: { memory: "8Gi", "nvidia.com/gpu": "2" },
    });
    assert.deepEqual(container.args.slice(container.args.indexOf("--gpus"), container.args.indexOf("--gpus") + 2), [
      "--gpus",
      "0,1",
    ]);
    assert.deepEqual(find("Deployment", "glia-worker-generator").spec.template.spec.tolerations, [
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
    assert.equal(find("Deployment", "glia-worker-summarizer").spec.template.spec.tolerations, undefined);
    const plain = find("Deployment", "glia-worker-summarizer").spec.template.spec.containers[0];
    assert.deepEqual(plain.resources, { requests: { cpu: "200m" }, limits: {} });
    assert.ok(!plain.args.includes("--gpus"), "an API without GPUs gets no --gpus");
  });

  it("mounts a memory-backed emptyDir at /dev/shm only when handler.shm_size is set", async () => {
    const { find } = await rendered();
    const pod = find("Deployment", "glia-worker-generator").spec.template.spec;
    assert.deepEqual(
      pod.volumes.find((v: { name: string }) => v.name === "shm"),
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
    );
    assert.ok(pod.containers[0].volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/dev/shm"));
    const other = find("Deployment", "glia-worker-summarizer").spec.template.spec;
    assert.ok(!other.volumes.some((v: { name: string }) => v.name === "shm"));
  });

  it("takes the update strategy, init replicas and a grace that lets a request finish", async () => {
    const { find } = await rendered();
    const spec = find("Deployment", "glia-worker-generator").spec;
    assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.equal(spec.replicas, 0, "min_replicas 0 starts with no pod");
    const args: string[] = spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf("--grace") + 1], "600", "glia.timeout 10m");
    assert.ok(spec.template.spec.terminationGracePeriodSeconds > 600);
    const defaults = find("Deployment", "glia-worker-summarizer").spec;
    assert.deepEqual(defaults.strategy.rollingUpdate, { maxSurge: "25%", maxUnavailable: "25%" });
    assert.equal(defaults.replicas, 1);
    const defaultArgs: string[] = defaults.template.spec.containers[0].args;
    assert.equal(defaultArgs[defaultArgs.indexOf("--grace") + 1], "3600", "no glia.timeout: --request-timeout's");
  });

  it("runs the project's image as glia build tags it, with --image-prefix and --image-tag", async () => {
    const { find } = await rendered({ imagePrefix: "registry.example.com/team/", imageTag: "v3" });
    const container = find("Deployment", "glia-worker-generator").spec.template.spec.containers[0];
    assert.equal(container.image, "registry.example.com/team/glia-render-gpu-shm-scale-to-zero:v3");
    assert.equal(
      (await rendered()).find("Deployment", "glia-worker-generator").spec.template.spec.containers[0].image,
      "glia-render-gpu-shm-scale-to-zero",
    );
  });

  it("gives each pod its role's NATS identity from a Secret and never writes a credential", async () => {
    const { plain } = await rendered();
    const pods = plain
      .filter((o) => o["kind"] === "Deployment" || o["kind"] === "Job")
      .map((o) => ({ name: o["metadata"].name as string, spec: o["spec"].template.spec }));
    assert.deepEqual(pods.map((p) => p.name).sort(), [
      "glia-deploy-render-gpu-shm-scale-to-zero-" + pods.find((p) => p.name.startsWith("glia-deploy-"))!.name.slice(-8),
      "glia-gateway",
      "glia-worker-generator",
      "glia-worker-summarizer",
    ]);
    const expected: Record<string, [string, string]> = {
      "glia-gateway": ["glia-nats-gateway", "_INBOX_gateway"],
      "glia-worker-generator": ["glia-nats-worker-generator", "_INBOX_worker_generator"],
      "glia-worker-summarizer": ["glia-nats-worker-summarizer", "_INBOX_worker_summarizer"],
    };
    for (const { name, spec } of pods) {
      const [secret, inbox] = expected[name] ?? ["glia-nats-platform", "_INBOX_platform"];
      const volume = spec.volumes.find((v: Record<string, any>) => v["name"] === "nats-identity"); // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(volume.secret.secretName, secret, name);
      assert.equal(volume.secret.defaultMode, 0o400, name);
      const env = spec.containers[0].env as Array<Record<string, string>>;
      assert.deepEqual(
        env.filter((e) => e["name"]!.startsWith("NATS_")),
        [
          { name: "NATS_NKEY", value: "/var/run/glia/nats/nkey" },
          { name: "NATS_INBOX_PREFIX", value: inbox },
        ],
        name,
      );
      assert.ok(!JSON.stringify(spec).includes("SU"), `${name}: no NKey seed in the manifest`);
    }
    assert.throws(() => renderKubernetes([], { ...OPTIONS }), RenderError);
  });

  it("serves a spec with one runtime per pod, which glia worker accepts", async () => {
    const { find } = await rendered();
    const text = find("ConfigMap", "glia-worker-generator").data["spec.json"];
    const spec = checkResolvedSpec("spec.json", JSON.parse(text));
    assert.ok(!(spec instanceof RegistryEntryError), String(spec));
    assert.equal(spec.autoscaling.minReplicas, 1);
    assert.equal(spec.autoscaling.maxReplicas, 1);
    assert.equal(spec.autoscaling.initReplicas, 1);
    assert.equal(spec.compute.gpu, 2);
  });
});

describe("renderKubernetes: models on s3://", () => {
  const S3_FIXTURE = fileURLToPath(new URL("../../test/fixtures/s3-models", import.meta.url));

  it("gives the workers of an API with s3:// models the AWS Secret, and only those", async () => {
    const projects = [await loadProject(S3_FIXTURE), await loadProject(FIXTURE)];
    const plain = renderKubernetes(projects, { ...OPTIONS, awsSecret: "model-store" }).map(
      (o) => o.toJSON() as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const envFrom = (name: string) =>
      plain.find((o) => o["kind"] === "Deployment" && o["metadata"].name === name)!["spec"].template.spec.containers[0]
        .envFrom;
    assert.deepEqual(envFrom("glia-worker-s3-models"), [{ secretRef: { name: "model-store" } }]);
    assert.equal(envFrom("glia-worker-generator"), undefined);
    assert.deepEqual(renderWarnings(projects, { ...OPTIONS, awsSecret: "model-store" }), []);
    const [warning, ...more] = renderWarnings(projects, OPTIONS);
    assert.match(warning!, /API s3-models fetches its models from s3:\/\/: give --aws-secret NAME/);
    assert.deepEqual(more, []);
    assert.throws(() => renderKubernetes(projects, { ...OPTIONS, awsSecret: "Not_A_Name" }), /--aws-secret must be/);
  });
});

describe("renderKubernetes: cortex.yaml → KEDA ScaledObject", () => {
  it("scales on the API's stream and consumer with min/max replicas (0 allowed) and lag per pod", async () => {
    const { find } = await rendered();
    const spec = find("ScaledObject", "glia-worker-generator").spec;
    assert.equal(spec.minReplicaCount, 0);
    assert.equal(spec.maxReplicaCount, 6);
    assert.deepEqual(spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "glia-worker-generator" });
    assert.deepEqual(spec.triggers, [
      {
        type: "nats-jetstream",
        metadata: {
          natsServerMonitoringEndpoint: "nats:8222",
          account: "$G",
          stream: "GLIA_REQ_generator",
          consumer: "workers",
          lagThreshold: "4",
          activationLagThreshold: "0",
        },
      },
    ]);
    assert.equal(find("ScaledObject", "glia-worker-summarizer").spec.minReplicaCount, 1);
  });

  it("turns the stabilization periods and factors into the HPA behaviour", async () => {
    const { find } = await rendered();
    const { behavior } = find("ScaledObject", "glia-worker-generator").spec.advanced.horizontalPodAutoscalerConfig;
    assert.equal(behavior.scaleUp.stabilizationWindowSeconds, 30);
    assert.equal(behavior.scaleDown.stabilizationWindowSeconds, 120);
    const onePod = { type: "Pods", value: 1, periodSeconds: 15 }; // Cortex's "always ±1"
    assert.deepEqual(
      behavior.scaleUp.policies,
      [{ type: "Percent", value: 200, periodSeconds: 15 }, onePod],
      "factor 3",
    );
    assert.deepEqual(behavior.scaleDown.policies, [{ type: "Percent", value: 50, periodSeconds: 15 }, onePod], "0.5");
    assert.equal(behavior.scaleUp.selectPolicy, "Max", "the larger of the two changes");
    assert.equal(behavior.scaleDown.selectPolicy, "Max");
    const defaults = find("ScaledObject", "glia-worker-summarizer").spec.advanced.horizontalPodAutoscalerConfig;
    assert.equal(defaults.behavior.scaleUp.tolerance, "0.05", "Cortex's upscale_tolerance");
    assert.equal(defaults.behavior.scaleDown.tolerance, "0.05", "Cortex's downscale_tolerance");
    assert.equal(defaults.behavior.scaleUp.policies[0].value, 50, "Cortex's default 1.5");
    assert.equal(defaults.behavior.scaleDown.policies[0].value, 25, "Cortex's default 0.75");
    assert.equal(defaults.behavior.scaleDown.stabilizationWindowSeconds, 300);
  });
});

describe("renderKubernetes: the gateway and labels", () => {
  it("routes api-<name>:8888 to the gateway's internal listener", async () => {
    const { find } = await rendered();
    const service = find("Service", "api-generator");
    assert.deepEqual(service.spec.ports, [{ name: "http", port: 8888, targetPort: "internal", protocol: "TCP" }]);
    const gateway = find("Deployment", "glia-gateway").spec.template.spec.containers[0];
    assert.ok(
      gateway.ports.some(
        (p: { name: string; containerPort: number }) => p.name === "internal" && p.containerPort === 8888,
      ),
    );
    assert.equal(find("Deployment", "glia-gateway").spec.replicas, 2);
  });

  it("opens the internal listener to worker pods only, and worker pods to nothing", async () => {
    const { find } = await rendered();
    const gateway = find("NetworkPolicy", "glia-gateway").spec;
    assert.deepEqual(gateway.ingress, [
      { ports: [{ protocol: "TCP", port: 8080 }] },
      {
        from: [
          {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "glia", "app.kubernetes.io/component": "worker" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 8888 }],
      },
    ]);
    const worker = find("NetworkPolicy", "glia-worker").spec;
    assert.deepEqual(worker.policyTypes, ["Ingress"]);
    assert.deepEqual(worker.ingress, []);
  });

  it("labels every object with glia's name, its component and its API", async () => {
    const { plain } = await rendered();
    for (const object of plain) {
      const labels = object["metadata"].labels;
      const what = `${object["kind"]}/${object["metadata"].name}`;
      assert.equal(labels["app.kubernetes.io/name"], "glia", what);
      assert.match(labels["app.kubernetes.io/component"], /^(gateway|worker|deploy|nats)$/, what);
      const shared = ["glia-gateway", "glia-worker", "glia-nats"].includes(object["metadata"].name);
      if (!shared && object["kind"] !== "Job") assert.ok(labels["glia.dev/api"], `${what} names its API`);
    }
  });

  it("writes each file as YAML documents and lists them in kustomization.yaml", async () => {
    const projects = [await loadProject(FIXTURE)];
    const files = renderManifestFiles(projects, OPTIONS);
    const roles = renderRoles(projects);
    const texts = manifestTexts(files, { namespace: "models", roles, natsValues: {} });
    const kustomization = parse(texts.get("kustomization.yaml")!);
    assert.deepEqual(kustomization.resources, [
      "gateway.yaml",
      "network-policies.yaml",
      "deploy-jobs.yaml",
      "api-generator.yaml",
      "api-summarizer.yaml",
    ]);
    assert.equal(kustomization.namespace, "models");
    assert.deepEqual(
      kustomization.secretGenerator.map((g: { name: string; files: string[] }) => [g.name, g.files]),
      ["platform", "gateway", "worker-generator", "worker-summarizer"].map((role) => [
        `glia-nats-${role}`,
        [`nkey=nats-identities/${role}.nk`],
      ]),
    );
    assert.equal(parseAllDocuments(texts.get("api-generator.yaml")!).length, 5);
    assert.ok(texts.has("nats-values.yaml"), "the NATS chart's values are written beside the manifests");
  });
});

describe("renderNatsValues: the NATS chart's values", () => {
  it("asks for JetStream on a volume, a three-node cluster, monitoring, glia's max_payload and every role's user", async () => {
    const projects = [await loadProject(FIXTURE)];
    const roles = renderRoles(projects);
    const keys = new Map(
      ["platform", "gateway", "cli", "worker-generator", "worker-summarizer"].map((n) => [n, `U${n}`]),
    );
    const values = renderNatsValues(projects, OPTIONS, keys) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(values["config"].cluster, { enabled: true, replicas: 3 });
    assert.deepEqual(values["config"].jetstream.fileStore.pvc, { enabled: true, size: "10Gi" });
    assert.deepEqual(values["config"].monitor, { enabled: true, port: 8222 });
    assert.equal(values["config"].merge.max_payload, NATS_MAX_PAYLOAD_BYTES);
    const users = values["config"].merge.authorization.users as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(
      users.map((u) => u["nkey"]),
      roles.map((r) => `U${r.kind === "worker" ? `worker-${r.api}` : r.kind}`),
    );
    const generator = users.find((u) => u["nkey"] === "Uworker-generator")!;
    assert.deepEqual(
      generator["permissions"].publish.allow,
      permissionsFor({ kind: "worker", api: "generator" }, { clustered: true }).publish,
    );
    assert.ok(
      !generator["permissions"].publish.allow.some((s: string) => s.includes("summarizer")),
      "one API's workers may not touch another's queue",
    );
    const single = renderNatsValues(projects, { ...OPTIONS, natsReplicas: 1 }, keys) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(single["config"].cluster.enabled, false);
    assert.throws(() => renderNatsValues(projects, OPTIONS, new Map()), /no NATS public key for platform/);
  });

  it("lets only glia's pods, the NATS nodes and KEDA's namespace reach NATS", async () => {
    const { find } = await rendered({ natsRelease: "queue", kedaNamespace: "autoscaling" });
    const policy = find("NetworkPolicy", "glia-nats").spec;
    assert.deepEqual(policy.podSelector.matchLabels, {
      "app.kubernetes.io/name": "nats",
      "app.kubernetes.io/instance": "queue",
      "app.kubernetes.io/component": "nats",
    });
    assert.deepEqual(
      policy.ingress.map((rule: Record<string, any>) => [rule["ports"][0].port, rule["from"]]), // eslint-disable-line @typescript-eslint/no-explicit-any
      [
        [4222, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "glia" } } }]],
        [6222, [{ podSelector: { matchLabels: policy.podSelector.matchLabels } }]],
        [8222, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "autoscaling" } } }]],
      ],
    );
  });
});

describe("renderKubernetes: refusals", () => {
  it("refuses two projects with an API of the same name, naming both files", async () => {
    const a = await project([{ name: "same" }]);
    const b = await project([{ name: "same" }]);
    assert.throws(
      () => renderKubernetes([a, b], OPTIONS),
      (err: Error) => {
        assert.ok(err instanceof RenderError);
        assert.match(err.message, new RegExp(`${b.configFile}: API same has the name of an API in ${a.configFile}`));
        return true;
      },
    );
  });

  it("refuses what it cannot express (Inferentia, node groups) and bad options, each named", async () => {
    const p = await project([
      { name: "inf", compute: { inf: 1 } },
      { name: "groups", compute: { node_groups: ["a"] } },
    ]);
    assert.throws(() => renderKubernetes([p], OPTIONS), /API inf: compute\.inf[\s\S]*API groups: compute\.node_groups/);
    assert.throws(
      () => renderKubernetes([p], { ...OPTIONS, natsUrl: "nats://user:pass@nats:4222", imagePrefix: "reg" }),
      /--nats-url must be nats:\/\/host:port without credentials.*--image-prefix must end with \//,
    );
  });
});
