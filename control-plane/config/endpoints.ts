/**
 * @module
 * Which endpoints an API may take: glia's own paths are reserved, and no endpoint may equal or lie
 * inside another API's (`/hello` and `/hello/healthz`: the gateway serves an API's health check and
 * records below its endpoint, so a nested API would take them over, or they it). The same rules
 * check a `cortex.yaml`, a deploy against what is deployed, and the endpoint claims read back from
 * the registry.
 */
import { show } from "./messages.ts";

/**
 * Paths the gateway serves itself: `/_glia` (dashboard, docs) and everything below it, the health
 * and readiness checks, the metrics and the OpenAPI document. No API endpoint may equal one of
 * them or lie above or below one.
 */
export const RESERVED_ENDPOINTS: readonly string[] = Object.freeze([
  "/_glia",
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
]);

/** An API and the canonical endpoint it serves at. */
export interface EndpointOwner {
  api: string;
  endpoint: string;
}

/**
 * True when one endpoint equals the other or is a whole-segment prefix of it: `/a` and `/a/b`
 * overlap, `/a` and `/ab` do not. Both are canonical (leading `/`, no trailing `/`).
 */
export function endpointsOverlap(a: string, b: string): boolean {
  return a === b || b.startsWith(`${a}/`) || a.startsWith(`${b}/`);
}

/** Why `endpoint` cannot be served because glia uses it itself; null when it is free. */
export function reservedEndpointProblem(endpoint: string): string | null {
  // Compared without case: a client or proxy that folds case must not reach an API instead.
  const folded = endpoint.toLowerCase();
  const reserved = RESERVED_ENDPOINTS.find((r) => endpointsOverlap(r, folded));
  if (reserved === undefined) return null;
  const what = reserved === "/_glia" ? "`/_glia` and the paths below it are" : `${show(reserved)} is`;
  return `${show(endpoint)} is not allowed: ${what} reserved for glia's own pages (reserved: ${RESERVED_ENDPOINTS.join(", ")}); choose another endpoint`;
}

/**
 * Why `endpoint` of `api` cannot be served next to `other` (another API); null when they do not
 * overlap. The message says which way they overlap and how to fix it.
 */
export function endpointClash(api: string, endpoint: string, other: EndpointOwner): string | null {
  if (other.api === api || !endpointsOverlap(endpoint, other.endpoint)) return null;
  const by = `${show(other.api)}`;
  if (endpoint === other.endpoint) {
    return `endpoint ${show(endpoint)} is already used by ${by}; choose another endpoint or delete ${by} first`;
  }
  const where = endpoint.length < other.endpoint.length ? "contains" : "lies inside";
  return (
    `endpoint ${show(endpoint)} ${where} ${show(other.endpoint)}, the endpoint of ${by}; an endpoint may not lie ` +
    `inside another API's (its health check and records are served below it): choose an endpoint apart from it`
  );
}

/** The first clash of `endpoint` with any of `others`; null when there is none. */
export function firstClash(api: string, endpoint: string, others: Iterable<EndpointOwner>): string | null {
  for (const other of others) {
    const clash = endpointClash(api, endpoint, other);
    if (clash !== null) return clash;
  }
  return null;
}

/** A change of the endpoint claims that cannot be made, naming the API and why. */
export interface ClaimProblem {
  api: string;
  message: string;
}

/**
 * The claims after `wanted` take their endpoints (an API claiming again replaces its old claim: it
 * moved), or the problems that stop it. `claimed` maps each API to the endpoint it holds.
 */
export function claimEndpoints(
  claimed: ReadonlyMap<string, string>,
  wanted: readonly EndpointOwner[],
): { claims: Map<string, string>; problems: ClaimProblem[] } {
  const names = new Set(wanted.map((w) => w.api));
  const others = [...claimed].filter(([api]) => !names.has(api)).map(([api, endpoint]) => ({ api, endpoint }));
  const problems: ClaimProblem[] = [];
  wanted.forEach((w, index) => {
    const message =
      reservedEndpointProblem(w.endpoint) ?? firstClash(w.api, w.endpoint, [...others, ...wanted.slice(0, index)]);
    if (message !== null) problems.push({ api: w.api, message });
  });
  const claims = new Map(claimed);
  for (const w of wanted) claims.set(w.api, w.endpoint);
  return { claims, problems };
}

/**
 * The claims that stand: an API's claim counts only when its endpoint is not reserved and overlaps
 * no other claim. Claims are only written through {@link claimEndpoints}, so every claim stands;
 * one written around it (straight into the registry) that clashes makes neither side's claim count,
 * so no request is ever routed by a contested claim.
 */
export function standingClaims(claimed: ReadonlyMap<string, string>): {
  held: Map<string, string>;
  problems: ClaimProblem[];
} {
  const all = [...claimed].map(([api, endpoint]) => ({ api, endpoint }));
  const held = new Map<string, string>();
  const problems: ClaimProblem[] = [];
  for (const { api, endpoint } of all) {
    const message = reservedEndpointProblem(endpoint) ?? firstClash(api, endpoint, all);
    if (message === null) held.set(api, endpoint);
    else problems.push({ api, message: `its endpoint claim does not stand: ${message}` });
  }
  return { held, problems };
}
