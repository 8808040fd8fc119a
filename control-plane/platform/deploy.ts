import type { LoadedProject } from "../config/index.ts";
import type { ApiRegistry } from "../jobs/index.ts";
import { bundleProject } from "./bundle.ts";
import { PlatformConfigError } from "./errors.ts";

export type DeployAction = "creating" | "updating" | "up to date";

export interface DeployResult {
  name: string;
  action: DeployAction;
  bundle: string;
  /** Identifies this deploy (the registry entry's time); status is reported against it. */
  deployedAt: string;
}

/**
 * `glia deploy`: bundles the project into the object store and writes each API to the registry.
 * The running platform picks the change up. An API whose spec and files are unchanged is left alone.
 */
export async function deployProject(registry: ApiRegistry, project: LoadedProject): Promise<DeployResult[]> {
  await checkEndpoints(registry, project);
  const bundle = await bundleProject(project);
  if (!(await registry.hasBundle(bundle.name))) await registry.putBundle(bundle.name, bundle.bytes);
  const results: DeployResult[] = [];
  for (const spec of project.apis) {
    const existing = await registry.get(spec.name);
    const same = existing?.bundle === bundle.name && JSON.stringify(existing.spec) === JSON.stringify(spec);
    const deployedAt = same ? existing.deployedAt : new Date().toISOString();
    if (!same) await registry.put({ spec, bundle: bundle.name, configFile: project.configFile, deployedAt });
    const action = same ? "up to date" : existing ? "updating" : "creating";
    results.push({ name: spec.name, action, bundle: bundle.name, deployedAt });
  }
  return results;
}

/** An endpoint may belong to one API only, across everything deployed. */
async function checkEndpoints(registry: ApiRegistry, project: LoadedProject): Promise<void> {
  const deployed = await registry.list();
  for (const spec of project.apis) {
    const other = deployed.find((d) => d.spec.endpoint === spec.endpoint && d.spec.name !== spec.name);
    if (other) {
      throw new PlatformConfigError(
        `${project.configFile}: ${spec.name} (AsyncAPI): networking.endpoint: ${spec.endpoint} is already being used by ${other.spec.name}; ` +
          `choose another endpoint or delete ${other.spec.name} first`,
      );
    }
  }
}
