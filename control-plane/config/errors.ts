/**
 * @module
 * The one failure the config module raises: every problem found in a `cortex.yaml`, collected.
 */
import { GliaError } from "../errors.ts";

/** One problem with a `cortex.yaml`, located as precisely as the file allows. */
export interface ConfigIssue {
  /** The config file, as it was named to glia. */
  file: string;
  /** The API's `name` when the entry has a usable one, else null. */
  api: string | null;
  /**
   * The field, e.g. `handler.path` or `autoscaling.min_replicas`; "" for the whole file. Entries
   * without a usable name are located by their index instead: `[1].handler.path`.
   */
  path: string;
  message: string;
}

/**
 * Renders an issue the way Cortex did: `<file>: <api> (AsyncAPI): <path>: <message>`; the API and
 * path parts are left out when unknown or empty.
 * @example formatIssue({ file: "cortex.yaml", api: "iris", path: "handler.path", message: "m" })
 * // "cortex.yaml: iris (AsyncAPI): handler.path: m"
 */
export function formatIssue(issue: ConfigIssue): string {
  const parts = [issue.file];
  if (issue.api !== null) parts.push(`${issue.api} (AsyncAPI)`);
  if (issue.path !== "") parts.push(issue.path);
  parts.push(issue.message);
  return parts.join(": ");
}

/** A `cortex.yaml` that cannot be served; `issues` holds every problem found. */
export class ConfigError extends GliaError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super("CONFIG_INVALID", issues.map(formatIssue).join("\n"), options);
    this.issues = Object.freeze([...issues]);
  }
}
