/**
 * @module
 * Where a `handler.models` location may point: a path inside the project, or an `s3://bucket/prefix`
 * URL that the worker fetches into its model cache before the runtime starts. The one definition of
 * that rule, used by `glia deploy` (resolve-models.ts), by the platform when it reads a registry
 * entry back (registry-entry.ts, bundle.ts) and by the model cache (runtime/model-urls.ts).
 */
import { modelUrlNotFetchable, show } from "./messages.ts";

/** `s3://bucket/prefix`, split. */
export interface ModelUrl {
  text: string;
  bucket: string;
  /** The key prefix, ending with `/` (or empty: the whole bucket). */
  prefix: string;
}

/** A location with a scheme (`s3://…`, `http://…`); anything else is a path inside the project. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** Lenient on purpose: S3 (or the S3-compatible server) judges the name, and says so. */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Whether `value` is a URL (has a scheme) rather than a path inside the project. */
export function isModelUrl(value: string): boolean {
  return SCHEME.test(value);
}

/** `s3://bucket/prefix` split into bucket and prefix; null when it is not a well-formed `s3://` URL. */
export function parseModelUrl(text: string): ModelUrl | null {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(text);
  if (!match) return null;
  const bucket = match[1]!;
  const path = (match[2] ?? "").replace(/\/+$/, "");
  if (!BUCKET.test(bucket)) return null;
  if (path !== "" && path.split("/").some((s) => s === "" || s === "." || s === ".." || s.includes("\0"))) return null;
  return { text, bucket, prefix: path === "" ? "" : `${path}/` };
}

/** What is wrong with a URL given as a model location, or null for a fetchable one (or a path). */
export function modelUrlProblem(value: string): string | null {
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || parseModelUrl(value) !== null) return null;
  if (scheme !== "s3") return modelUrlNotFetchable(value, scheme);
  return /^s3:\/\/[A-Za-z0-9][A-Za-z0-9._-]{0,254}(?:\/|$)/.test(value)
    ? `${show(value)}: the prefix cannot hold an empty, \`.\` or \`..\` segment`
    : `${show(value)}: not an S3 URL; write it as s3://bucket/prefix`;
}

/** Each location of `handler.models` (`path`, `dir`, each `paths[i].path`) with its field. */
export function modelLocations(models: unknown): Array<{ field: string; value: string }> {
  const m = (models ?? {}) as { path?: unknown; dir?: unknown; paths?: unknown };
  const found: Array<[string, unknown]> = [
    ["handler.models.path", m.path],
    ["handler.models.dir", m.dir],
    ...(Array.isArray(m.paths) ? m.paths : []).map((p: unknown, i): [string, unknown] => [
      `handler.models.paths[${i}].path`,
      (p as { path?: unknown } | null)?.path,
    ]),
  ];
  return found
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([field, value]) => ({ field, value }));
}
