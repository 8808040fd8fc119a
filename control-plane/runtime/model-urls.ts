/**
 * @module
 * The locations in `handler.models` (`path`, `paths[i].path`, `dir`) and the `s3://` URLs among
 * them. The registry entry is read back from NATS, so this checks again what config checked.
 */
import { modelLocations as locations, parseModelUrl, isModelUrl, type ModelUrl } from "../config/index.ts";
import { ModelFetchError } from "./errors.ts";

export { parseModelUrl, type ModelUrl } from "../config/index.ts";

/** One location of `handler.models`: its field, its value, and the URL when it is one. */
export interface ModelLocation {
  field: string;
  value: string;
  url: ModelUrl | null;
}

/**
 * Every location in `models`, with its URL when it has a scheme.
 * @throws ModelFetchError for a URL glia cannot fetch (another scheme, or a malformed `s3://` URL).
 */
export function modelLocations(models: unknown): ModelLocation[] {
  return locations(models).map(({ field, value }) => ({ field, value, url: urlOf(field, value) }));
}

function urlOf(field: string, value: string): ModelUrl | null {
  if (!isModelUrl(value)) return null;
  const url = parseModelUrl(value);
  if (url !== null) return url;
  throw new ModelFetchError(field, value, "glia fetches models only from s3:// (as s3://bucket/prefix)");
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
