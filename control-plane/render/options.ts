import { RenderError } from "./errors.ts";

/** Where things are inside glia's images (`Dockerfile.cpu`, `Dockerfile.gpu`, `glia build`); `cli/` passes them in. */
export interface ImageLayout {
  /** Where `glia build` copies a project (`IMAGE_PROJECT_DIR`). */
  projectDir: string;
  /** The images' non-root user as numeric `uid:gid` (`IMAGE_USER`). */
  user: string;
  /** `GLIA_CACHE_DIR`: `glia build --prepare` links each API's environment at `<cacheDir>/apis/<api>`. */
  cacheDir: string;
}

/** What `glia render k8s` is told; every field but `layout` and `gatewayImage` has a default. */
export interface RenderOptions {
  layout: ImageLayout;
  /** The image the gateway pods run (any glia image: they run `glia gateway`). */
  gatewayImage: string;
  /** Put before each project's image name, e.g. `registry.example.com/team/`. @default "" */
  imagePrefix?: string;
  /** The tag of each project's image; none means the name `glia build` tags (`:latest`). @default null */
  imageTag?: string | null;
  /** @default 2 */
  gatewayReplicas?: number;
  /** The cluster's NATS client URL, without credentials. @default "nats://nats:4222" */
  natsUrl?: string;
  /** NATS's monitoring endpoint (host:port), which KEDA reads consumer lag from. @default "nats:8222" */
  natsMonitoringEndpoint?: string;
  /** The NATS account holding glia's streams. @default "$G" */
  natsAccount?: string;
  /** The NATS chart's release name: its pods' `app.kubernetes.io/instance`, which the NetworkPolicy selects. @default "nats" */
  natsRelease?: string;
  /** The size of each NATS node's JetStream volume. @default "10Gi" */
  natsStorage?: string;
  /** The namespace KEDA's operator runs in, the only one let to NATS's monitoring port. @default "keda" */
  kedaNamespace?: string;
  /** Replicas of every stream and store, and NATS nodes (1: one node, no cluster). @default 3 */
  natsReplicas?: number;
  /** Deadline of one handler call when an API sets no `glia.timeout`, in seconds. @default 3600 */
  requestTimeoutSeconds?: number;
  /**
   * A Secret of AWS settings (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, …) given as
   * environment to the workers of APIs whose models are on `s3://`. @default null
   */
  awsSecret?: string | null;
  /** A namespace written into kustomization.yaml; none: the one `kubectl` uses. @default null */
  namespace?: string | null;
}

export type ResolvedRenderOptions = Required<RenderOptions>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Fills in the defaults and checks every option, naming each that is wrong in one error. */
export function resolveRenderOptions(raw: RenderOptions): ResolvedRenderOptions {
  const options: ResolvedRenderOptions = {
    imagePrefix: "",
    imageTag: null,
    gatewayReplicas: 2,
    natsUrl: "nats://nats:4222",
    natsMonitoringEndpoint: "nats:8222",
    natsAccount: "$G",
    natsRelease: "nats",
    natsStorage: "10Gi",
    kedaNamespace: "keda",
    natsReplicas: 3,
    requestTimeoutSeconds: 3600,
    namespace: null,
    awsSecret: null,
    ...withoutUndefined(raw),
  };
  const problems = optionProblems(options);
  if (problems.length) throw new RenderError(`glia render k8s: ${problems.join("; ")}`);
  return options;
}

function withoutUndefined(raw: RenderOptions): RenderOptions {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as unknown as RenderOptions;
}

function optionProblems(o: ResolvedRenderOptions): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, text: string): void => void (ok || problems.push(text));
  need(Number.isInteger(o.gatewayReplicas) && o.gatewayReplicas >= 1, "--gateway-replicas must be a whole number ≥ 1");
  need(Number.isInteger(o.natsReplicas) && o.natsReplicas >= 1, "--nats-replicas must be a whole number ≥ 1");
  need(
    Number.isInteger(o.requestTimeoutSeconds) && o.requestTimeoutSeconds >= 1,
    "--request-timeout must be whole seconds ≥ 1",
  );
  need(
    /^nats:\/\/[^@/\s]+$/.test(o.natsUrl),
    // Not echoed: a URL written with credentials would put them in the terminal and CI logs.
    "--nats-url must be nats://host:port without credentials (each glia pod connects with an NKey of its own, from a Secret)",
  );
  need(
    /^[^/\s:]+:\d+$/.test(o.natsMonitoringEndpoint),
    `--nats-monitoring must be host:port, not ${o.natsMonitoringEndpoint}`,
  );
  need(
    DNS_LABEL.test(o.natsRelease) && o.natsRelease.length <= 53,
    `--nats-release must be a Helm release name, not ${o.natsRelease}`,
  );
  need(
    DNS_LABEL.test(o.kedaNamespace) && o.kedaNamespace.length <= 63,
    `--keda-namespace must be a namespace name, not ${o.kedaNamespace}`,
  );
  need(
    /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(o.natsStorage),
    `--nats-storage must be a quantity such as 10Gi, not ${o.natsStorage}`,
  );
  need(
    o.imageTag === null || /^[\w][\w.-]{0,127}$/.test(o.imageTag),
    `--image-tag must be an image tag, not ${o.imageTag}`,
  );
  need(
    o.imagePrefix === "" || /^[a-z0-9][-a-z0-9._:/]*\/$/.test(o.imagePrefix),
    `--image-prefix must end with / (e.g. registry.example.com/team/), not ${o.imagePrefix}`,
  );
  need(
    o.namespace === null || (DNS_LABEL.test(o.namespace) && o.namespace.length <= 63),
    `--namespace must be a DNS label, not ${o.namespace}`,
  );
  need(
    o.awsSecret === null || (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.awsSecret) && o.awsSecret.length <= 253),
    `--aws-secret must be a Secret name, not ${o.awsSecret}`,
  );
  need(/^\d+:\d+$/.test(o.layout.user), `the image user must be numeric uid:gid, not ${o.layout.user}`);
  return problems;
}
