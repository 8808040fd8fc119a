/**
 * @module
 * The locations in `handler.models` (`path`, `paths[i].path`, `dir`) and the `s3://` URLs among
 * them. The registry entry is read back from NATS, so this checks again what config checked.
 */
import { ModelFetchError } from "./errors.ts";

/** The URL schemes glia fetches models from. */
export const MODEL_URL_SCHEMES = ["s3"] as const;

/** `s3://bucket/prefix`, split. */
export interface ModelUrl {
  text: string;
  bucket: string;
  /** The key prefix, ending with `/` (or empty: the whole bucket). */
  prefix: string;
}

/** One location of `handler.models`: its field, its value, and the URL when it is one. */
export interface ModelLocation {
  field: string;
  value: string;
  url: ModelUrl | null;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** Lenient on purpose: S3 (or the S3-compatible server) judges the name, and says so. */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

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

/**
 * Every location in `models`, with its URL when it has a scheme.
 * @throws ModelFetchError for a URL glia cannot fetch (another scheme, or a malformed `s3://` URL).
 */
export function modelLocations(models: unknown): ModelLocation[] {
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
    .map(([field, value]) => ({ field, value, url: urlOf(field, value) }));
}

function urlOf(field: string, value: string): ModelUrl | null {
  if (!SCHEME.test(value)) return null;
  const url = parseModelUrl(value);
  if (url !== null) return url;
  const schemes = MODEL_URL_SCHEMES.map((s) => `${s}://`).join(", ");
  throw new ModelFetchError(field, value, `glia fetches models only from ${schemes} (as s3://bucket/prefix)`);
}

/** A copy of `models` with each location found in `local` replaced by its local folder. */
export function replaceLocations(models: unknown, local: ReadonlyMap<string, string>): unknown {
  const copy = structuredClone(models) as { path?: unknown; dir?: unknown; paths?: unknown };
  const swap = (value: unknown): unknown => (typeof value === "string" ? (local.get(value) ?? value) : value);
  if (copy.path !== undefined) copy.path = swap(copy.path);
  if (copy.dir !== undefined) copy.dir = swap(copy.dir);
  if (Array.isArray(copy.paths)) {
    for (const entry of copy.paths as Array<{ path?: unknown } | null>) {
      if (entry && typeof entry === "object") entry.path = swap(entry.path);
    }
  }
  return copy;
}
