/**
 * @module
 * zod schemas of one API entry of `cortex.yaml`, as written: shapes, types and unknown keys only.
 * Required fields, ranges and cross-field rules are checked in `resolve.ts`, with the messages
 * Cortex used. Every field is optional here so that one bad field never hides the others.
 */
import { z } from "zod";
import { invalidType, unsupportedKey } from "./messages.ts";

const typeError = (expected: string) => ({
  error: (issue: { input?: unknown }) => invalidType(issue.input, expected),
});

const text = () => z.string(typeError("string"));
const integer = () => z.number(typeError("integer")).int(typeError("integer"));
const decimal = () => z.number(typeError("number"));
const quantity = () => z.union([z.string(), z.number()], typeError("string or number"));
const envValue = () =>
  z.string({
    error: (issue: { input?: unknown }) =>
      `${invalidType(issue.input, "string")}; environment variable values must be strings, ` +
      `so put the value in quotes, e.g. "${String(issue.input ?? "")}"`,
  });

const modelPathSchema = z
  .strictObject({ name: text(), path: text(), signature_key: text() }, typeError("map"))
  .partial();

/** `handler.models` as written (kept as written in a resolved spec). */
export const modelsSchema = z
  .strictObject(
    {
      path: text(),
      paths: z.array(modelPathSchema, typeError("list")),
      dir: text(),
      signature_key: text(),
      cache_size: integer(),
      disk_cache_size: integer(),
    },
    typeError("map"),
  )
  .partial();

const dependenciesSchema = z.strictObject({ pip: text(), conda: text(), shell: text() }, typeError("map")).partial();

const handlerSchema = z
  .strictObject(
    {
      type: text(),
      path: text(),
      config: z.record(z.string(), z.unknown(), typeError("map")).nullable(),
      python_path: text().nullable(),
      image: text().nullable(),
      tensorflow_serving_image: text().nullable(),
      models: modelsSchema.nullable(),
      env: z.record(z.string(), envValue(), typeError("map")).nullable(),
      log_level: text(),
      shm_size: quantity().nullable(),
      dependencies: dependenciesSchema.nullable(),
      processes_per_replica: integer(),
      threads_per_process: integer(),
      server_side_batching: z.unknown(),
      multi_model_reloading: z.unknown(),
      protobuf_path: z.unknown(),
    },
    typeError("map"),
  )
  .partial();

const computeSchema = z
  .strictObject(
    {
      cpu: quantity().nullable(),
      mem: quantity().nullable(),
      gpu: integer(),
      inf: integer(),
      node_groups: z.array(text(), typeError("list")).nullable(),
    },
    typeError("map"),
  )
  .partial();

const autoscalingSchema = z
  .strictObject(
    {
      min_replicas: integer(),
      max_replicas: integer(),
      init_replicas: integer(),
      target_replica_concurrency: decimal(),
      max_replica_concurrency: integer(),
      window: text(),
      downscale_stabilization_period: text(),
      upscale_stabilization_period: text(),
      max_downscale_factor: decimal(),
      max_upscale_factor: decimal(),
      downscale_tolerance: decimal(),
      upscale_tolerance: decimal(),
    },
    typeError("map"),
  )
  .partial();

const surgeOrUnavailable = () => z.union([z.string(), z.number().int()], typeError("string or integer"));

const updateStrategySchema = z
  .strictObject({ max_surge: surgeOrUnavailable(), max_unavailable: surgeOrUnavailable() }, typeError("map"))
  .partial();

const networkingSchema = z.strictObject({ endpoint: text() }, typeError("map")).partial();

/** glia's own settings for an API (not in Cortex). */
const retriesSchema = z
  .strictObject(
    { max_attempts: integer(), backoff: text(), on_handler_error: z.boolean(typeError("bool")) },
    typeError("map"),
  )
  .partial();
const gliaSchema = z
  .strictObject(
    { max_queued_requests: integer().nullable(), timeout: text().nullable(), retries: retriesSchema.nullable() },
    typeError("map"),
  )
  .partial();

/** One entry of the `cortex.yaml` list, as written. */
export const apiSchema = z
  .strictObject(
    {
      name: text(),
      kind: text(),
      handler: handlerSchema.nullable(),
      compute: computeSchema.nullable(),
      autoscaling: autoscalingSchema.nullable(),
      update_strategy: updateStrategySchema.nullable(),
      networking: networkingSchema.nullable(),
      glia: gliaSchema.nullable(),
    },
    typeError("map"),
  )
  .partial();

export type RawApi = z.infer<typeof apiSchema>;
export type RawHandler = NonNullable<RawApi["handler"]>;
export type RawModels = NonNullable<RawHandler["models"]>;
export type RawDependencies = NonNullable<RawHandler["dependencies"]>;
export type RawCompute = NonNullable<RawApi["compute"]>;
export type RawAutoscaling = NonNullable<RawApi["autoscaling"]>;
export type RawUpdateStrategy = NonNullable<RawApi["update_strategy"]>;

/** A problem found by the schema, located by its path segments. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/** What checking one entry against the schema gives. */
export interface SchemaResult {
  /** The entry with every offending field removed, so later checks see only well-typed values. */
  data: RawApi | null;
  problems: SchemaProblem[];
  /** Paths of fields removed for having the wrong type (their absence is not a second problem). */
  broken: Set<string>;
}

type Issue = z.core.$ZodIssue;
const SECTIONS = new Set(["handler", "compute", "autoscaling", "update_strategy", "networking"]);

/** `["handler", "env", "A"]` → `handler.env.A`; `["a", "list", 1]` → `a.list[1]`. */
export function pathString(segments: readonly PropertyKey[]): string {
  const text = segments
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`))
    .join("");
  return text.startsWith(".") ? text.slice(1) : text;
}

/** Checks one entry against `apiSchema`, reporting every problem at once. */
export function checkSchema(entry: Record<string, unknown>): SchemaResult {
  const first = apiSchema.safeParse(entry);
  if (first.success) return { data: first.data, problems: [], broken: new Set() };
  const issues = first.error.issues;
  const cleaned = structuredClone(entry);
  const broken = new Set<string>();
  for (const issue of issues) removeOffender(cleaned, issue, broken);
  const second = apiSchema.safeParse(cleaned);
  const data = second.success ? second.data : null;
  return { data, problems: issues.flatMap(toProblems), broken };
}

function toProblems(issue: Issue): SchemaProblem[] {
  if (issue.code !== "unrecognized_keys") {
    return [{ path: pathString(issue.path), message: issue.message }];
  }
  return issue.keys.map((key) => ({
    path: pathString([...issue.path, key]),
    message: unknownKeyMessage(issue.path, key),
  }));
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  const renamed = parent.length === 0 && key === "predictor";
  return renamed ? `${unsupportedKey(key)} (it was renamed to \`handler\`)` : unsupportedKey(key);
}

// A wrong value is removed with its whole field (`handler.env`, not `handler.env.A`), so that the
// second parse succeeds and the field falls back to its default in later checks.
function removeOffender(root: Record<string, unknown>, issue: Issue, broken: Set<string>): void {
  if (issue.code === "unrecognized_keys") {
    for (const key of issue.keys) deleteAt(root, [...issue.path, key]);
    return;
  }
  const field = issue.path.slice(0, offenderDepth(issue.path));
  broken.add(pathString(field));
  deleteAt(root, field);
}

function offenderDepth(path: readonly PropertyKey[]): number {
  if (pathString(path.slice(0, 2)) === "handler.env") return 3; // one bad variable, not all
  return SECTIONS.has(String(path[0])) ? 2 : 1;
}

function deleteAt(root: Record<string, unknown>, path: readonly PropertyKey[]): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = isRecord(node) ? node[key as string] : undefined;
  const last = path.at(-1);
  if (isRecord(node) && last !== undefined) delete node[last as string];
}

/** True for a plain map (not a list, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
export type RawGlia = NonNullable<RawApi["glia"]>;
