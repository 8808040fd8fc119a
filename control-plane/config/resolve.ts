/**
 * @module
 * From the parsed YAML of a `cortex.yaml` to resolved API specs: the schema check, then the rules
 * of each field, then the rules across APIs. Every problem in the file is collected before one
 * `ConfigError` is thrown.
 */
import { endpointsOverlap } from "./endpoints.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { NO_APIS, NOT_A_LIST_OF_MAPS, show } from "./messages.ts";
import { resolveApi, type ResolvedEntry } from "./resolve-api.ts";
import { checkSchema, isRecord } from "./schema.ts";
import { createScope, type Scope } from "./scope.ts";
import type { ResolvedApiSpec } from "./types.ts";

interface Sink {
  file: string;
  projectDir: string;
  issues: ConfigIssue[];
  warnings: string[];
}

interface Checked extends ResolvedEntry {
  scope: Scope;
}

/**
 * Resolves the parsed contents of `file` (the list of API maps), checking paths against
 * `projectDir`. Reads the file system only to check that referenced files exist.
 * @throws {ConfigError} listing every problem found.
 */
export function resolveConfig(
  raw: unknown,
  file: string,
  projectDir: string,
): { apis: ResolvedApiSpec[]; warnings: string[] } {
  const sink: Sink = { file, projectDir, issues: [], warnings: [] };
  const report = (message: string): void => {
    sink.issues.push({ file, api: null, path: "", message });
  };
  const entries = apiEntries(raw, report);
  const checked = entries.map((entry, index) => checkEntry(sink, entry, index));
  checkUniqueNames(checked);
  checkUniqueEndpoints(checked);
  if (sink.issues.length > 0) throw new ConfigError(sink.issues);
  const apis = checked.flatMap((entry) => (entry.spec === null ? [] : [entry.spec]));
  return { apis, warnings: sink.warnings };
}

function apiEntries(raw: unknown, report: (message: string) => void): Record<string, unknown>[] {
  if (raw === null || raw === undefined) {
    report(NO_APIS);
    return [];
  }
  if (!Array.isArray(raw) || !raw.every(isRecord)) {
    report(NOT_A_LIST_OF_MAPS);
    return [];
  }
  if (raw.length === 0) report(NO_APIS);
  return raw;
}

function checkEntry(sink: Sink, entry: Record<string, unknown>, index: number): Checked {
  const { data, problems, broken } = checkSchema(entry);
  const api = typeof entry["name"] === "string" && entry["name"] !== "" ? entry["name"] : null;
  const scope = createScope({ ...sink, index, api, broken });
  for (const problem of problems) scope.report(problem.path, problem.message);
  if (data === null) return { scope, name: null, endpoint: null, spec: null };
  return { scope, ...resolveApi(scope, data) };
}

/** Reports every entry whose name repeats an earlier entry's. */
function checkUniqueNames(checked: Checked[]): void {
  const seen = new Set<string>();
  for (const { scope, name } of checked) {
    if (name === null) continue;
    if (seen.has(name)) scope.report("name", `name ${show(name)} must be unique across apis`);
    seen.add(name);
  }
}

/**
 * Reports every entry whose endpoint repeats, contains or lies inside an earlier entry's (unless
 * its name already repeated that entry's).
 */
function checkUniqueEndpoints(checked: Checked[]): void {
  const earlier: Array<{ name: string | null; endpoint: string }> = [];
  for (const { scope, name, endpoint } of checked) {
    if (endpoint === null) continue;
    const other = earlier.find((e) => e.name !== name && endpointsOverlap(e.endpoint, endpoint));
    if (other !== undefined) scope.report("networking.endpoint", endpointTaken(endpoint, other));
    earlier.push({ name, endpoint });
  }
}

function endpointTaken(endpoint: string, other: { name: string | null; endpoint: string }): string {
  const by = other.name === null ? "" : ` (also used by ${show(other.name)})`;
  if (other.endpoint === endpoint) return `endpoint ${show(endpoint)} must be unique across apis${by}`;
  const of = other.name === null ? "another api's" : `${show(other.name)}'s`;
  return (
    `endpoint ${show(endpoint)} overlaps ${of} endpoint ${show(other.endpoint)}; an endpoint may not lie inside ` +
    "another api's (its health check and records are served below it)"
  );
}
