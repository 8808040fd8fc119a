import { claimEndpoints, ConfigError, type LoadedProject } from "../config/index.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { DeadLetters, WorkQueue, type ApiRegistry } from "../jobs/index.ts";
import { ensureApiQueues } from "./api-queues.ts";
import { bundleProject } from "./bundle.ts";

export type DeployAction = "creating" | "updating" | "up to date";

export interface DeployResult {
  name: string;
  action: DeployAction;
  bundle: string;
  /** Identifies this deploy (the registry entry's time); status is reported against it. */
  deployedAt: string;
}

/**
 * `glia deploy`: bundles the project into the object store, claims its endpoints, and writes each
 * API to the registry. The running platform picks the change up. An API whose spec and files are
 * unchanged is left alone.
 * @throws ConfigError when an endpoint is reserved, taken by another API or nested with one.
 */
export async function deployProject(registry: ApiRegistry, project: LoadedProject): Promise<DeployResult[]> {
  const bundle = await bundleProject(project);
  if (!(await registry.hasBundle(bundle.name))) await registry.putBundle(bundle.name, bundle.bytes);
  // Claimed before the entries are written: the platform serves an entry only once it holds its claim.
  await claimProject(registry, project);
  const results: DeployResult[] = [];
  for (const spec of project.apis) {
    const existing = (await registry.get(spec.name))?.api ?? null; // a refused entry is replaced
    const same = existing?.bundle === bundle.name && JSON.stringify(existing.spec) === JSON.stringify(spec);
    const deployedAt = same ? existing.deployedAt : new Date().toISOString();
    if (!same) await registry.put({ spec, bundle: bundle.name, configFile: project.configFile, deployedAt });
    const action = same ? "up to date" : existing ? "updating" : "creating";
    results.push({ name: spec.name, action, bundle: bundle.name, deployedAt });
  }
  return results;
}

/**
 * `glia deploy --provision`: creates (or updates) each API's queue and dead-letter stream, as
 * `glia up` does before it starts a worker, for a platform whose workers only use them (a
 * cluster's pods run `glia worker --provisioned`, whose NATS identity cannot create streams).
 */
export async function provisionQueues(
  nc: NatsConnection,
  project: LoadedProject,
  options: { replicas: number },
): Promise<void> {
  const queue = await WorkQueue.open(nc, { replicas: options.replicas });
  const deadLetters = await DeadLetters.open(nc, { replicas: options.replicas });
  for (const spec of project.apis) await ensureApiQueues(spec, queue, deadLetters);
}

/**
 * Claims every endpoint of the project in one compare-and-set of the registry's claims, so two
 * deploys racing for one endpoint (or nested ones) cannot both win: the loser re-reads the claims,
 * finds the winner's and is refused here, naming it.
 */
async function claimProject(registry: ApiRegistry, project: LoadedProject): Promise<void> {
  const wanted = project.apis.map((spec) => ({ api: spec.name, endpoint: spec.endpoint }));
  await registry.claimEndpoints((claimed) => {
    const { claims, problems } = claimEndpoints(claimed, wanted);
    if (problems.length === 0) return claims;
    throw new ConfigError(
      problems.map((p) => ({ file: project.configFile, api: p.api, path: "networking.endpoint", message: p.message })),
    );
  });
}
