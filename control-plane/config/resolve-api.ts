/**
 * @module
 * One API entry: its identity (`name`, `kind`, `networking.endpoint`) and its sections.
 */
import { reservedEndpointProblem } from "./endpoints.ts";
import { CANNOT_BE_EMPTY, invalidValue, show, tooLong } from "./messages.ts";
import { checkShmSize, resolveCompute } from "./resolve-compute.ts";
import { resolveHandler } from "./resolve-handler.ts";
import { resolveAutoscaling, resolveUpdateStrategy } from "./resolve-scaling.ts";
import type { RawApi } from "./schema.ts";
import { resolveGlia } from "./resolve-glia.ts";
import { required, type Scope } from "./scope.ts";
import type { ResolvedApiSpec } from "./types.ts";

/** The longest API name: Kubernetes adds 21 characters to pod names, which stop at 63. */
const MAX_NAME_LENGTH = 42;
const MAX_ENDPOINT_LENGTH = 1000;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const ENDPOINT_CHARACTERS = /^[a-zA-Z0-9_\-./]*$/;
/** Kinds Cortex had that glia does not serve. */
const OTHER_CORTEX_KINDS = new Set(["RealtimeAPI", "BatchAPI", "TaskAPI", "TrafficSplitter"]);

/** What one entry resolves to; `spec` is null when the entry has problems that stop it. */
export interface ResolvedEntry {
  name: string | null;
  endpoint: string | null;
  spec: ResolvedApiSpec | null;
}

/** Checks one entry that has passed the schema check. */
export function resolveApi(scope: Scope, raw: RawApi): ResolvedEntry {
  const name = checkName(scope, raw.name);
  if (!checkKind(scope, raw.kind)) return { name, endpoint: null, spec: null };
  const handler = resolveHandler(scope, raw.handler);
  const compute = resolveCompute(scope, raw.compute ?? {});
  const autoscaling = resolveAutoscaling(scope, raw.autoscaling ?? {});
  const updateStrategy = resolveUpdateStrategy(scope, raw.update_strategy ?? {});
  const endpoint = resolveEndpoint(scope, raw.networking?.endpoint, name);
  const glia = resolveGlia(scope, raw.glia ?? {});
  if (handler !== null) checkShmSize(scope, handler, compute);
  if (name === null || endpoint === null || handler === null) return { name, endpoint, spec: null };
  const spec: ResolvedApiSpec = {
    name,
    kind: "AsyncAPI",
    endpoint,
    handler,
    compute,
    autoscaling,
    updateStrategy,
    glia,
  };
  return { name, endpoint, spec };
}

function checkName(scope: Scope, value: string | undefined): string | null {
  const name = required(scope, "name", value);
  if (name === null) return null;
  const message = nameProblem(name);
  if (message !== null) scope.report("name", message);
  return name;
}

/** Why `name` cannot name an API (DNS-1035 label, at most 42 characters, no `b-`); null when it can. */
export function nameProblem(name: string): string | null {
  if (name === "") return CANNOT_BE_EMPTY;
  if (name.length > MAX_NAME_LENGTH) return tooLong(name, MAX_NAME_LENGTH);
  if (!DNS_1035.test(name)) {
    const rule = "start with a letter, and cannot end with a dash";
    return `${show(name)} must contain only lower case letters, numbers, and dashes, ${rule}`;
  }
  if (name.startsWith("b-")) {
    return `${show(name)} cannot start with \`b-\` (the prefix is reserved)`;
  }
  return null;
}

/**
 * Reports a kind other than AsyncAPI. False for another Cortex kind, whose entry is not checked
 * further (AsyncAPI rules would only add noise); a missing or mistyped kind still is.
 */
function checkKind(scope: Scope, value: string | undefined): boolean {
  const kind = required(scope, "kind", value);
  if (kind !== null && kind !== "AsyncAPI") scope.report("kind", kindMessage(kind));
  return kind === null || !OTHER_CORTEX_KINDS.has(kind);
}

function kindMessage(kind: string): string {
  if (!OTHER_CORTEX_KINDS.has(kind)) return invalidValue(kind, ["AsyncAPI"]);
  const fix = "use `kind: AsyncAPI` with a handler that implements `handle_async`";
  return `glia serves AsyncAPI; \`kind: ${kind}\` is not supported (${fix})`;
}

/** The canonical endpoint (`/<name>` by default); null when invalid (reported). */
function resolveEndpoint(scope: Scope, value: string | undefined, name: string | null): string | null {
  if (value === undefined) return name === null ? null : `/${name}`;
  const message = endpointProblem(value);
  if (message === null) return canonicalEndpoint(value);
  scope.report("networking.endpoint", message);
  return null;
}

/** Why `value` cannot be an endpoint as written in `networking.endpoint`; null when it can. */
export function endpointProblem(value: string): string | null {
  if (value.length > MAX_ENDPOINT_LENGTH) return tooLong(value, MAX_ENDPOINT_LENGTH);
  if (!ENDPOINT_CHARACTERS.test(value)) {
    return `${show(value)} must consist of letters, numbers, '/', '-', '_', or '.'`;
  }
  if (value.includes("//")) return `${show(value)} cannot contain adjacent slashes`;
  const canonical = canonicalEndpoint(value);
  if (canonical === "/") return "`/` is not allowed (a path must be specified)";
  // Clients and proxies resolve `.` and `..` segments away, so such an endpoint names another path.
  if (canonical.split("/").some((segment) => segment === "." || segment === "..")) {
    return `${show(value)} cannot contain \`.\` or \`..\` path segments`;
  }
  return reservedEndpointProblem(canonical);
}

/** `a/b/` → `/a/b`; `` and `/` → `/`. */
export function canonicalEndpoint(value: string): string {
  const withSlash = value.startsWith("/") ? value : `/${value}`;
  return withSlash === "/" ? "/" : withSlash.replace(/\/$/, "");
}
