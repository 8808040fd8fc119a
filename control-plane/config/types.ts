/**
 * @module
 * The fully-resolved shape of one AsyncAPI from `cortex.yaml`: every default filled in, every path
 * checked. Field names are camelCase versions of the YAML keys.
 */

/** One API of a project, ready to serve. */
export interface ResolvedApiSpec {
  /** DNS-1035 label, at most 42 characters, unique in the file. */
  name: string;
  kind: "AsyncAPI";
  /** Canonical: a leading `/`, no trailing `/`, unique in the file. @default `/<name>` */
  endpoint: string;
  handler: ResolvedHandler;
  compute: ResolvedCompute;
  autoscaling: ResolvedAutoscaling;
  updateStrategy: ResolvedUpdateStrategy;
  /** glia's own settings (the `glia` section). */
  glia: ResolvedGlia;
}

export interface ResolvedGlia {
  /**
   * Requests an API may hold (waiting or running) before `POST` answers 429; `null`: no limit.
   * @default null
   */
  maxQueuedRequests: number | null;
  /** Deadline of one handler call, in seconds; `null`: the platform's (`--request-timeout`). @default null */
  timeoutSeconds: number | null;
  retries: ResolvedRetries;
}

/** How a request is tried again when an attempt ends without an answer. */
export interface ResolvedRetries {
  /** Attempts in all, for crashes and timeouts (and handler errors when opted in). @default 3 */
  maxAttempts: number;
  /** Delay before the second attempt, doubled for each further one (at most 10 minutes). @default 1 s */
  backoffSeconds: number;
  /** Whether an exception raised by the handler is tried again too. @default false */
  onHandlerError: boolean;
}

export interface ResolvedHandler {
  type: "python" | "tensorflow";
  /** The handler file, relative to the project directory, POSIX separators, no leading `./`. */
  path: string;
  /** Passed to `Handler.__init__` as `config`. @default {} */
  config: Record<string, unknown>;
  /** A project directory to append to `PYTHONPATH`, relative, ending with `/`. @default null */
  pythonPath: string | null;
  /** A custom runtime image; null means glia's own. @default null */
  image: string | null;
  /** @default {} */
  env: Record<string, string>;
  /** @default "info" */
  logLevel: "debug" | "info" | "warning" | "error";
  /** Size of the memory-backed `/dev/shm`, as written (a quantity). @default null */
  shmSize: string | null;
  /** Project-relative paths of the dependency files; they need not exist. */
  dependencies: ResolvedDependencies;
  /** The `models` map as written (tensorflow handler type only). @default null */
  models: unknown | null;
}

export interface ResolvedDependencies {
  /** @default "requirements.txt" */
  pip: string;
  /** @default "conda-packages.txt" */
  conda: string;
  /** @default "dependencies.sh" */
  shell: string;
}

export interface ResolvedCompute {
  /** CPU request as written (a quantity); null for no request. @default "200m" */
  cpu: string | null;
  /** Memory request as written (a quantity). @default null */
  mem: string | null;
  /** Whole GPUs. @default 0 */
  gpu: number;
  /** AWS Inferentia chips, 0 or 1. @default 0 */
  inf: number;
  /** @default null (any) */
  nodeGroups: string[] | null;
}

export interface ResolvedAutoscaling {
  /** Runtime processes kept running even when idle. @default 1 */
  minReplicas: number;
  /** @default 100 */
  maxReplicas: number;
  /** @default minReplicas */
  initReplicas: number;
  /** In-flight requests per replica the autoscaler aims for. @default 1 */
  targetReplicaConcurrency: number;
  /** @default 1024 */
  maxReplicaConcurrency: number;
  /** Averaging window of the queue metric. @default 60 (`60s`) */
  windowSeconds: number;
  /** @default 300 (`5m`) */
  downscaleStabilizationPeriodSeconds: number;
  /** @default 60 (`1m`) */
  upscaleStabilizationPeriodSeconds: number;
  /** @default 0.75 */
  maxDownscaleFactor: number;
  /** @default 1.5 */
  maxUpscaleFactor: number;
  /** @default 0.05 */
  downscaleTolerance: number;
  /** @default 0.05 */
  upscaleTolerance: number;
}

export interface ResolvedUpdateStrategy {
  /** An integer or an integer percentage, as a string. @default "25%" */
  maxSurge: string;
  /** An integer or an integer percentage, as a string. @default "25%" */
  maxUnavailable: string;
}

/** A project directory with its `cortex.yaml` loaded and resolved. */
export interface LoadedProject {
  /** Absolute path of the config file. */
  configFile: string;
  /** Absolute path of the directory containing the config file. */
  projectDir: string;
  apis: ResolvedApiSpec[];
  /** Problems that do not stop the project from being served, one formatted line each. */
  warnings: string[];
}

/** One deployed API as the registry holds it: its resolved spec and the bundle of its project files. */
export interface DeployedApi {
  spec: ResolvedApiSpec;
  /** Name of the project bundle in the object store (`sha256-` and 40 hex digits of its files' hash). */
  bundle: string;
  /** The config file it came from, for messages. */
  configFile: string;
  /** When it was deployed (ISO 8601); identifies the deploy its status is about. */
  deployedAt: string;
}
