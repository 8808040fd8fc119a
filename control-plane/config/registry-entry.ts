/**
 * @module
 * A registry entry read back from NATS is untrusted input: anyone holding the deploying
 * credentials can write one, by hand. Before the platform unpacks, runs or routes it, the entry is
 * checked here against the rules a `cortex.yaml` is checked by (a schema of `ResolvedApiSpec`: every
 * field's type, names, endpoints, paths relative and inside the project), plus the bundle id's
 * pattern. Every problem is collected into one `RegistryEntryError` naming the entry and the field.
 */
import { posix } from "node:path";
import { z } from "zod";
import { GliaError } from "../errors.ts";
import { parseQuantity } from "./quantity.ts";
import { endpointProblem, nameProblem } from "./resolve-api.ts";
import { NODE_GROUP } from "./resolve-compute.ts";
import { HANDLER_TYPES, LOG_LEVELS, RESERVED_ENV_PREFIXES } from "./resolve-handler.ts";
import { isImageReference } from "./resolve-values.ts";
import { isModelUrl, modelUrlProblem } from "./model-locations.ts";
import { relativePathProblem } from "./project-paths.ts";
import { modelsSchema, pathString } from "./schema.ts";
import type { DeployedApi, ResolvedApiSpec } from "./types.ts";

/** A bundle's name: `sha256-` and the first 40 hex digits of the hash of the project's files. */
export const BUNDLE_NAME = /^sha256-[0-9a-f]{40}$/;

/** One problem of a registry entry: the field (`spec.handler.path`, `bundle`) and what is wrong. */
export interface RegistryEntryIssue {
  path: string;
  message: string;
}

/** A registry entry the platform will not unpack, run or route, with every problem found. */
export class RegistryEntryError extends GliaError {
  /** The entry's key in the registry (the API name it claims to be). */
  readonly key: string;
  readonly issues: readonly RegistryEntryIssue[];

  /** `subject` names what was read, when it is not a registry entry (e.g. a spec file). */
  constructor(key: string, issues: readonly RegistryEntryIssue[], subject = `registry entry ${JSON.stringify(key)}`) {
    const listed = issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ");
    super("REGISTRY_ENTRY_INVALID", `${subject} is refused: ${listed}; deploy the API again with \`glia deploy\``);
    this.key = key;
    this.issues = Object.freeze([...issues]);
  }
}

type Check<T> = (value: T) => string | null;

/** Adds the message of `check` as an issue when it finds one. */
function rule<T>(check: Check<T>): (value: T, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    const message = check(value);
    if (message !== null) ctx.addIssue({ code: "custom", message });
  };
}

/** A project path as a resolved spec writes it: relative, normalised, inside the project. */
const projectPath = (extra: Check<string> = () => null): z.ZodType<string> =>
  z.string().superRefine(rule((value) => insidePathProblem(value, true) ?? extra(value)));

/** Why `value` is not a path inside the project; `canonical` also asks for its normal form. */
function insidePathProblem(value: string, canonical: boolean): string | null {
  if (value.includes("\0")) return "a path cannot contain a NUL character";
  const problem = relativePathProblem(value);
  if (problem !== null) return problem;
  const normal = posix.normalize(value);
  if (normal === ".") return `${JSON.stringify(value)} names the project folder itself, not a file in it`;
  if (canonical && normal !== value) return `${JSON.stringify(value)} is not in normal form (${normal})`;
  return null;
}

const quantityText = z.string().superRefine(rule((v) => (parseQuantity(v) === null ? `${v}: not a quantity` : null)));
const atLeast = (min: number): z.ZodNumber => z.number().min(min);
const count = (min: number): z.ZodNumber => z.number().int().min(min);

/**
 * `handler.models` for the tensorflow type: the shape `cortex.yaml` takes, each location a path
 * inside the project or an `s3://` URL the worker can fetch (see model-locations.ts).
 */
const resolvedModels = modelsSchema.superRefine((models, ctx) => {
  const paths: Array<[PropertyKey[], string | undefined]> = [
    [["path"], models.path],
    [["dir"], models.dir],
    ...(models.paths ?? []).map((m, i): [PropertyKey[], string | undefined] => [["paths", i, "path"], m.path]),
  ];
  for (const [path, value] of paths) {
    if (value === undefined) continue;
    const message = isModelUrl(value) ? modelUrlProblem(value) : insidePathProblem(value, false);
    if (message !== null) ctx.addIssue({ code: "custom", path, message });
  }
});

const handlerSchema = z.strictObject({
  type: z.enum(HANDLER_TYPES),
  path: projectPath((v) => (/\.(py|pickle)$/.test(v) ? null : "must end with `.py` or `.pickle`")),
  config: z.record(z.string(), z.unknown()),
  pythonPath: z
    .string()
    .superRefine(
      rule((v) => (v.endsWith("/") ? insidePathProblem(v.slice(0, -1), true) : "must end with `/` (a folder)")),
    )
    .nullable(),
  image: z
    .string()
    .superRefine(rule((v) => (isImageReference(v) ? null : `${v} is not a valid docker image path`)))
    .nullable(),
  env: z.record(
    z.string().superRefine(
      rule((name) => {
        const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
        return prefix === undefined ? null : `environment variables starting with ${prefix} are reserved`;
      }),
    ),
    z.string(),
  ),
  logLevel: z.enum(LOG_LEVELS),
  shmSize: quantityText.nullable(),
  dependencies: z.strictObject({ pip: projectPath(), conda: projectPath(), shell: projectPath() }),
  models: z.unknown(),
});

const computeSchema = z.strictObject({
  cpu: quantityText.nullable(),
  mem: quantityText.nullable(),
  gpu: count(0),
  inf: count(0).max(1),
  nodeGroups: z.array(z.string().regex(NODE_GROUP)).nullable(),
});

const autoscalingSchema = z.strictObject({
  minReplicas: count(0),
  maxReplicas: count(1),
  initReplicas: count(0),
  targetReplicaConcurrency: z.number().positive(),
  maxReplicaConcurrency: count(1).max(30000),
  windowSeconds: atLeast(10),
  downscaleStabilizationPeriodSeconds: atLeast(0),
  upscaleStabilizationPeriodSeconds: atLeast(0),
  maxDownscaleFactor: atLeast(0).lt(1),
  maxUpscaleFactor: z.number().gt(1),
  downscaleTolerance: atLeast(0).lt(1),
  upscaleTolerance: atLeast(0),
});

const surgeOrUnavailable = z.string().superRefine(
  rule((v) => {
    const match = /^(\d+)(%?)$/.exec(v);
    return match && (match[2] === "" || Number(match[1]) <= 100) ? null : "must be an integer or a percentage";
  }),
);

const gliaSchema = z.strictObject({
  maxQueuedRequests: count(1).nullable(),
  timeoutSeconds: atLeast(1).nullable(),
  retries: z.strictObject({ maxAttempts: count(1), backoffSeconds: atLeast(0), onHandlerError: z.boolean() }),
});

/** A resolved spec: what `resolveConfig` gives for a valid `cortex.yaml` entry, and nothing else. */
export const resolvedApiSpecSchema: z.ZodType<ResolvedApiSpec> = z
  .strictObject({
    name: z.string().superRefine(rule(nameProblem)),
    kind: z.literal("AsyncAPI"),
    endpoint: z.string().superRefine(rule(canonicalEndpointProblem)),
    handler: handlerSchema,
    compute: computeSchema,
    autoscaling: autoscalingSchema,
    updateStrategy: z.strictObject({ maxSurge: surgeOrUnavailable, maxUnavailable: surgeOrUnavailable }),
    glia: gliaSchema,
  })
  .superRefine((spec, ctx) => {
    for (const [path, message] of crossFieldProblems(spec)) ctx.addIssue({ code: "custom", path, message });
  });

function canonicalEndpoint(value: string): string | null {
  if (!value.startsWith("/") || (value.length > 1 && value.endsWith("/"))) {
    return "must start with `/` and not end with one";
  }
  return null;
}

function canonicalEndpointProblem(value: string): string | null {
  return canonicalEndpoint(value) ?? endpointProblem(value);
}

/** The rules between fields that `resolveConfig` applies, as `[path, message]` pairs. */
function crossFieldProblems(spec: ResolvedApiSpec): Array<[PropertyKey[], string]> {
  const { autoscaling: a, compute, handler } = spec;
  const problems: Array<[PropertyKey[], string]> = [];
  const add = (when: boolean, path: PropertyKey[], message: string): void =>
    void (when && problems.push([path, message]));
  add(a.minReplicas > a.maxReplicas, ["autoscaling", "minReplicas"], "cannot be greater than maxReplicas");
  add(a.initReplicas > a.maxReplicas, ["autoscaling", "initReplicas"], "cannot be greater than maxReplicas");
  add(a.initReplicas < a.minReplicas, ["autoscaling", "initReplicas"], "cannot be less than minReplicas");
  add(
    a.targetReplicaConcurrency > a.maxReplicaConcurrency,
    ["autoscaling", "targetReplicaConcurrency"],
    "cannot be greater than maxReplicaConcurrency",
  );
  add(compute.gpu > 0 && compute.inf > 0, ["compute"], "gpu and inf resources cannot be used together");
  if (handler.type === "python") {
    add(handler.models !== null, ["handler", "models"], "must be null for the python handler type");
  } else {
    const models = resolvedModels.safeParse(handler.models);
    for (const issue of models.success ? [] : models.error.issues) {
      problems.push([["handler", "models", ...issue.path], issue.message]);
    }
  }
  return problems;
}

const entrySchema = z.strictObject({
  spec: resolvedApiSpecSchema,
  bundle: z
    .string()
    .regex(BUNDLE_NAME, { error: (i) => `${JSON.stringify(i.input)} is not a bundle id (sha256- and 40 hex digits)` }),
  configFile: z.string().max(4096),
  deployedAt: z.iso.datetime({ error: "must be an ISO 8601 time (e.g. 2026-01-02T03:04:05.678Z)" }),
});

/**
 * Checks an entry read from the registry under `key`: its shape, its spec by the rules of a
 * `cortex.yaml`, its bundle id, and that it is stored under its own name.
 * @returns the entry, typed; or the error listing every problem.
 */
export function checkRegistryEntry(key: string, value: unknown): DeployedApi | RegistryEntryError {
  const parsed = entrySchema.safeParse(value);
  const issues: RegistryEntryIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: pathString(i.path), message: i.message }));
  const keyProblem = nameProblem(key);
  if (keyProblem !== null) issues.unshift({ path: "", message: `the key is not an API name: ${keyProblem}` });
  if (parsed.success && parsed.data.spec.name !== key) {
    issues.push({ path: "spec.name", message: `${JSON.stringify(parsed.data.spec.name)} differs from the key` });
  }
  return issues.length === 0 && parsed.success ? parsed.data : new RegistryEntryError(key, issues);
}

/** Checks a resolved spec read from a file or a message (e.g. a worker's `--spec-file`). */
export function checkResolvedSpec(source: string, value: unknown): ResolvedApiSpec | RegistryEntryError {
  const parsed = resolvedApiSpecSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: pathString(i.path), message: i.message }));
  return new RegistryEntryError(source, issues, `the API spec in ${source}`);
}
