/**
 * @module
 * A worker's plan: everything one `glia worker` needs to serve one API, decided once. `glia up`'s
 * reconciler builds it from the registry entry and sends it to the worker process over its IPC
 * channel; `glia worker` (a cluster's pods) builds the same plan from its flags and environment.
 * Nothing downstream re-reads cortex.yaml, flags or the environment for an API's settings: a new
 * per-API option is a field of the resolved spec (config/), read where it is used.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import {
  checkResolvedSpec,
  isModelUrl,
  loadProject,
  modelLocations,
  RegistryEntryError,
  type ResolvedApiSpec,
} from "../config/index.ts";
import { PlatformConfigError } from "./errors.ts";
import type { NatsCredentials } from "./nats-connect.ts";
import type { RunAs } from "../runtime/index.ts";
import { deviceId, leaseSchema } from "./lease-protocol.ts";
import type { Lease } from "./capacity.ts";

export interface WorkerPlan {
  /** The API's resolved spec, as `glia deploy` checked it. */
  spec: ResolvedApiSpec;
  /** The project's folder (a bundle `glia up` unpacked, or a pod's project); never written to. */
  projectDir: string;
  /** The interpreter of the API's Python environment. */
  python: string;
  nats: {
    /** The server(s); may carry credentials, so it travels in the plan, never on a command line. */
    url: string;
    /** The worker's own identity (glia's nats-server); null: the environment's (`NATS_TOKEN`, `NATS_CREDS`...). */
    credentials: NatsCredentials | null;
    /** Replicas of streams and stores, for a clustered NATS. */
    replicas: number;
    /** The platform made the API's streams already: the worker only uses them. */
    provisioned: boolean;
  };
  /** Durations, all in milliseconds; null: the component's default. */
  durations: {
    /** The platform's deadline of one handler call; the API's `glia.timeout` wins over it. */
    requestTimeoutMs: number | null;
    ackWaitMs: number | null;
    resultTtlMs: number | null;
    /** How often the autoscaler samples and decides (Cortex: 10 s; shorter in tests). */
    autoscaleTickMs: number;
    /** How long running requests may take to finish when the worker is told to stop by a signal. */
    stopGraceMs: number;
  };
  /**
   * The CUDA devices of each runtime (one list per replica, `glia worker --gpus`); null: the
   * process's own environment, or the leases' devices.
   */
  gpus: string[][] | null;
  /**
   * `glia up`: the runtimes' shares of the machine are leased from the platform over the IPC
   * channel, these first; the worker starts that many runtimes (possibly fewer than
   * `init_replicas`, none even) and its autoscaler leases more as it needs them. Absent or null
   * in a pod (`glia worker`), whose GPUs (`gpus`) and cores are its own.
   */
  leases?: PlanLeases | null;
  /** Where `api-<name>:8888` is served locally (`host:port`); null in a cluster, where DNS answers. */
  chainAddress: string | null;
  /** Run the runtimes as this user (glia running as root with `--run-as`). */
  runAs: RunAs | null;
  /**
   * The AWS settings (`AWS_*`, and `HOME` for `~/.aws`) the worker fetches `s3://` models with,
   * for an API that has some; null for any other. They travel in the plan, not in the worker's
   * environment, which any process of the same user can read in /proc, and never reach a handler.
   */
  modelStore: Record<string, string> | null;
  logLevel: "silent" | "debug" | "info" | "warn" | "error";
}

/** What a worker's plan says of its leases (see capacity.ts). */
export interface PlanLeases {
  /** The leases of the runtimes it starts with, replica 0 first (possibly fewer than `init_replicas`). */
  initial: Lease[];
  /** Each runtime has GPUs of its own: a lease goes back only with the runtime that used it. */
  exclusive: boolean;
}

const millis = z.number().int().positive().nullable();
/** What the model cache reads of an environment: AWS's own settings, and HOME for ~/.aws. */
const MODEL_STORE_SETTING = /^(AWS_[A-Z0-9_]+|HOME)$/;

/** The settings of `env` an API fetching `s3://` models needs; null when its models are all in the project. */
export function modelStoreSettings(spec: ResolvedApiSpec, env: NodeJS.ProcessEnv): Record<string, string> | null {
  if (!modelLocations(spec.handler.models).some(({ value }) => isModelUrl(value))) return null;
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (MODEL_STORE_SETTING.test(name) && value !== undefined) settings[name] = value;
  return settings;
}

/** The plan without its spec, which `checkResolvedSpec` checks with the registry's rules. */
const planSchema = z.strictObject({
  spec: z.unknown(),
  projectDir: z.string().min(1),
  python: z.string().min(1),
  nats: z.strictObject({
    url: z.string().min(1),
    credentials: z
      .strictObject({ nkeyFile: z.string().min(1).optional(), inboxPrefix: z.string().min(1).optional() })
      .nullable(),
    replicas: z.number().int().min(1).max(5),
    provisioned: z.boolean(),
  }),
  durations: z.strictObject({
    requestTimeoutMs: millis,
    ackWaitMs: millis,
    resultTtlMs: millis,
    autoscaleTickMs: z.number().int().positive(),
    stopGraceMs: z.number().int().min(0),
  }),
  gpus: z.array(z.array(deviceId)).nullable(),
  leases: z
    .strictObject({
      initial: z.array(leaseSchema),
      exclusive: z.boolean(),
    })
    .nullable()
    .optional(),
  chainAddress: z.string().min(1).nullable(),
  runAs: z
    .strictObject({
      user: z.string().min(1),
      uid: z.number().int().min(1),
      gid: z.number().int().min(0),
      home: z.string(),
    })
    .nullable(),
  modelStore: z.record(z.string().regex(MODEL_STORE_SETTING), z.string()).nullable(),
  logLevel: z.enum(["silent", "debug", "info", "warn", "error"]),
});

/**
 * The plan in `value` (a message from the parent, or one built from flags), checked whole: a plan
 * that does not fit is refused with every problem named, before anything starts.
 */
export function checkWorkerPlan(value: unknown): WorkerPlan {
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "the plan"}: ${i.message}`);
    throw new PlatformConfigError(`the worker plan is refused: ${problems.join("; ")}`);
  }
  const spec = checkResolvedSpec("the worker plan", parsed.data.spec);
  if (spec instanceof RegistryEntryError) throw spec;
  const plan: WorkerPlan = { ...parsed.data, spec, leases: parsed.data.leases ?? null };
  if (plan.gpus && plan.leases)
    throw new PlatformConfigError(
      "the worker plan gives both gpus and leases: a worker's runtimes run on the devices of its leases (glia up) or on those --gpus lists (glia worker), not both",
    );
  if (plan.leases && plan.leases.initial.length > spec.autoscaling.initReplicas)
    throw new PlatformConfigError(
      `the worker plan starts ${plan.leases.initial.length} leased runtime(s) but ${spec.name} starts at most ${spec.autoscaling.initReplicas} (init_replicas)`,
    );
  if (plan.gpus && plan.gpus.length !== spec.autoscaling.initReplicas)
    throw new PlatformConfigError(
      `the worker plan lists GPUs for ${plan.gpus.length} runtime(s) but ${spec.name} starts ${spec.autoscaling.initReplicas}: give one list per runtime (--gpus "0;1")`,
    );
  return plan;
}

/** The deadline of one handler call: the API's own `glia.timeout`, else the platform's. */
export function requestTimeoutMs(plan: WorkerPlan): number | undefined {
  const own = plan.spec.glia.timeoutSeconds;
  return own === null ? (plan.durations.requestTimeoutMs ?? undefined) : own * 1000;
}

/**
 * The spec of `api` for `glia worker`: from `specFile` (a JSON spec, for a project folder without
 * its cortex.yaml), checked as untrusted input like the registry entry it was copied from; else
 * from the project's cortex.yaml.
 */
export async function loadWorkerSpec(projectDir: string, api: string, specFile?: string): Promise<ResolvedApiSpec> {
  if (!specFile) {
    const project = await loadProject(projectDir);
    const spec = project.apis.find((a) => a.name === api);
    if (!spec) throw new PlatformConfigError(`${project.configFile} defines no API named ${api}`);
    return spec;
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(specFile, "utf8"));
  } catch (err) {
    throw new PlatformConfigError(`the API spec in ${specFile} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const spec = checkResolvedSpec(specFile, value);
  if (spec instanceof RegistryEntryError) throw spec;
  if (spec.name !== api) throw new PlatformConfigError(`the API spec in ${specFile} is for ${spec.name}, not ${api}`);
  return spec;
}
