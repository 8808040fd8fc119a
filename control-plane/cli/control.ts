import { resolve } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { gliaEnvironment, loadProject } from "../config/index.ts";
import {
  ApiRegistry,
  claimProblem,
  DeadLetters,
  followLogs,
  ResultStore,
  WORKER_LINE,
  WorkQueue,
  type ApiStatus,
  type EndpointClaims,
  type LogLine,
  type RegistryEntry,
} from "../jobs/index.ts";
import {
  connectNats,
  deployProject,
  provisionQueues,
  readState,
  Reconciler,
  requeue,
  WorkerStartError,
} from "../platform/index.ts";
import { say, UsageError, wholeNumber } from "./flags.ts";

export interface ControlFlags {
  natsUrl?: string;
  output: "pretty" | "json";
}

export interface DeployFlags extends ControlFlags {
  wait?: boolean;
  provision?: boolean;
  replicas?: string;
}

interface Connected {
  nc: NatsConnection;
  registry: ApiRegistry;
  gatewayUrl: string | null;
}

/** Finds the running platform: `--nats-url`/`NATS_URL`, else the one `glia up` recorded. */
async function connectPlatform(flags: ControlFlags, replicas = 1): Promise<Connected> {
  const state = await readState();
  const natsUrl = flags.natsUrl ?? state?.natsUrl;
  if (!natsUrl) throw new UsageError("no running glia found; start one with `glia up`, or pass --nats-url");
  // The platform's record names the CLI's own NATS identity when glia started the server.
  const credentials = flags.natsUrl ? undefined : state?.nats?.cli;
  const nc = await connectNats(natsUrl, { name: "glia-cli", timeout: 5_000 }, credentials);
  return {
    nc,
    registry: await ApiRegistry.open(nc, { replicas }),
    gatewayUrl: flags.natsUrl ? null : (state?.url ?? null),
  };
}

async function withPlatform<T>(flags: ControlFlags, work: (c: Connected) => Promise<T>, replicas = 1): Promise<T> {
  const c = await connectPlatform(flags, replicas);
  try {
    return await work(c);
  } finally {
    await c.nc.close();
  }
}

/** `glia deploy [config]`: validate, bundle, write the registry; the platform rolls the change out. */
export async function runDeploy(target: string | undefined, flags: DeployFlags): Promise<void> {
  const base = gliaEnvironment().invocationDir;
  const replicas = flags.replicas === undefined ? 1 : wholeNumber("--replicas", flags.replicas);
  if (flags.provision && !flags.natsUrl)
    throw new UsageError("--provision is for a platform whose workers run elsewhere: give its NATS with --nats-url");
  if (flags.provision && flags.wait)
    throw new UsageError("--wait waits for glia up's workers; with --provision, watch the workers' pods instead");
  const project = await loadProject(resolve(base, target ?? "."));
  project.warnings.forEach((w) => say(`warning: ${w}`));
  await withPlatform(
    flags,
    async ({ nc, registry }) => {
      // Queues first: once an entry is in the registry, gateways accept requests for it.
      if (flags.provision) await provisionQueues(nc, project, { replicas });
      const results = await deployProject(registry, project);
      if (flags.output === "json") console.log(JSON.stringify(results));
      for (const r of results) {
        if (flags.output === "pretty")
          say(r.action === "up to date" ? `${r.name} (AsyncAPI) is up to date` : `${r.action} ${r.name} (AsyncAPI)`);
      }
      if (flags.wait) await waitLive(registry, results);
      if (flags.output === "pretty") say("\nglia get  (show api statuses)\nglia get <name>  (show api info)");
    },
    replicas,
  );
}

async function waitLive(registry: ApiRegistry, results: Array<{ name: string; deployedAt: string }>): Promise<void> {
  for (const r of results) {
    const status = await Reconciler.waitForStatus(registry, r.name, r.deployedAt, 30 * 60_000);
    // Not a usage error: the command was right and the API could not start (exit status 1, as --help says).
    if (status.state === "error")
      throw new WorkerStartError(r.name, "DEPLOY_FAILED", `${r.name}: ${status.message ?? "the deploy failed"}`);
  }
}

interface ApiRow {
  name: string;
  status: string;
  /** Runtimes asked for (by the autoscaler, once it has decided; else init_replicas). */
  replicas: number;
  /** Runtimes serving now; null before the platform has said. */
  ready: number | null;
  /** The autoscaler's last recommendation, why the count is what it is, and what holds it below. */
  autoscaler?: { recommendation: number | null; reason: string; heldBy: string | null };
  /** Each runtime's CUDA devices, for an API with compute.gpu. */
  gpus?: string[][];
  queued: number | null;
  endpoint: string;
  url: string | null;
  bundle: string;
  deployedAt: string;
  message?: string;
}

/** `glia get [name]`: deployed APIs with their status, replicas, queue depth and endpoint. */
export async function runGet(name: string | undefined, flags: ControlFlags): Promise<void> {
  await withPlatform(flags, async ({ nc, registry, gatewayUrl }) => {
    const apis = name ? [await registry.get(name)] : await registry.list();
    if (name && !apis[0]) throw new UsageError(`${name} is not deployed`);
    const queue = await WorkQueue.open(nc);
    const claims = await registry.claims();
    const rows = await Promise.all(apis.map((a) => row(a!, { registry, queue, claims, gatewayUrl })));
    if (flags.output === "json") return console.log(JSON.stringify(name ? rows[0] : rows, null, 2));
    if (rows.length === 0) return say("no apis are deployed");
    printTable(rows);
    if (name) {
      const r = rows[0]!;
      console.log(`\nendpoint: ${r.url ?? r.endpoint}\nbundle: ${r.bundle}\nlast deployed: ${r.deployedAt}`);
      if (r.message) console.log(`${r.status === "updating" ? "progress" : "error"}: ${r.message}`);
      const a = r.autoscaler;
      if (a) {
        const held = a.heldBy ? `; held at ${r.replicas}: ${a.heldBy}` : "";
        console.log(`autoscaler: recommends ${a.recommendation ?? "-"} (${a.reason})${held}`);
      }
    }
  });
}

interface RowSources {
  registry: ApiRegistry;
  queue: WorkQueue;
  claims: EndpointClaims;
  gatewayUrl: string | null;
}

async function row(entry: RegistryEntry, sources: RowSources): Promise<ApiRow> {
  const { registry, queue, claims, gatewayUrl } = sources;
  const api = entry.api;
  // A refused entry is shown as such: it is neither run nor routed, whatever its status says.
  const refused = api ? claimProblem(api, claims) : entry.error.message;
  if (!api || refused !== null) return refusedRow(entry, refused ?? "");
  const status: ApiStatus | null = await registry.status(api.spec.name);
  // A status about an older deploy means the platform has not picked this one up yet.
  const state = status?.deployedAt === api.deployedAt ? status.state : "updating";
  const current = status?.deployedAt === api.deployedAt ? status : null;
  return {
    name: api.spec.name,
    status: state,
    replicas: current?.replicas ?? api.spec.autoscaling.initReplicas,
    ready: current?.ready ?? null,
    ...(current?.autoscaler ? { autoscaler: current.autoscaler } : {}),
    ...(status?.gpus && state !== "updating" ? { gpus: status.gpus } : {}),
    queued: await queue.pending(api.spec.name).catch(() => null),
    endpoint: api.spec.endpoint,
    url: gatewayUrl ? `${gatewayUrl}${api.spec.endpoint}` : null,
    bundle: api.bundle,
    deployedAt: api.deployedAt,
    // Why a deploy failed, or what a deploy in progress is doing (e.g. fetching models).
    ...(status?.message && status.deployedAt === api.deployedAt ? { message: status.message } : {}),
  };
}

function refusedRow(entry: RegistryEntry, message: string): ApiRow {
  const { api } = entry;
  return {
    name: entry.name,
    status: "error",
    replicas: 0,
    ready: null,
    queued: null,
    endpoint: api?.spec.endpoint ?? "?",
    url: null,
    bundle: api?.bundle ?? "?",
    deployedAt: api?.deployedAt ?? "?",
    message,
  };
}

/** Each runtime's devices, e.g. `0 | 1`; `-` for an API without GPUs, `none` when it asked but got none. */
function gpuCell(gpus: string[][] | undefined): string {
  if (!gpus) return "-";
  if (gpus.length === 0) return "none held"; // a GPU API scaled to zero
  return gpus.map((d) => (d.length ? d.join(",") : "none")).join(" | ");
}

function printTable(rows: ApiRow[]): void {
  const table = [
    ["async api", "status", "ready/requested", "gpus", "queued", "endpoint"],
    ...rows.map((r) => [
      r.name,
      r.status,
      `${r.ready ?? "?"}/${r.replicas}`,
      gpuCell(r.gpus),
      String(r.queued ?? "?"),
      r.url ?? r.endpoint,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  for (const cells of table)
    console.log(
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join("   ")
        .trimEnd(),
    );
}

/** `glia delete <name>`: stop the API and drop its queued requests; stored results stay until they expire. */
export async function runDelete(name: string, flags: ControlFlags): Promise<void> {
  await withPlatform(flags, async ({ registry }) => {
    // A claim left by a deploy that stopped before writing its entry is released the same way.
    const claims = await registry.claims();
    const claimed = claims.held.has(name) || claims.problems.some((p) => p.api === name);
    if (!(await registry.get(name)) && !claimed) throw new UsageError(`${name} is not deployed`);
    await registry.remove(name);
    if (flags.output === "json") console.log(JSON.stringify({ name, action: "deleting" }));
    else say(`deleting ${name}`);
  });
}

/** `glia logs <name>`: follow the API's runtime output live (Ctrl-C stops). */
export async function runLogs(name: string, flags: ControlFlags): Promise<void> {
  await withPlatform(flags, async ({ nc, registry }) => {
    const entry = await registry.get(name);
    if (!entry) throw new UsageError(`${name} is not deployed`);
    const refused = entry.api ? claimProblem(entry.api, await registry.claims()) : entry.error.message;
    if (refused !== null) say(`${name} is not running: ${refused}`);
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    process.once("SIGTERM", () => stop.abort());
    await followLogs(
      nc,
      name,
      (line) => console.log(flags.output === "json" ? JSON.stringify(line) : pretty(line)),
      stop.signal,
      () => say(`following ${name}'s output (Ctrl-C stops)`),
    );
  });
}

function pretty(l: LogLine): string {
  const text = typeof l.line === "string" ? l.line : JSON.stringify(l.line);
  const source = l.replica === WORKER_LINE ? `${l.api}[worker]` : `${l.api}#${l.replica}`;
  return `${l.time} ${source}${l.requestId ? ` ${l.requestId}` : ""} ${text}`;
}

/** `glia requeue <name> [id] [--all-failed]`: put failed requests back in the queue with their payloads. */
export async function runRequeue(
  name: string,
  id: string | undefined,
  flags: ControlFlags & { allFailed?: boolean },
): Promise<void> {
  if (!id === !flags.allFailed) throw new UsageError("give one request id, or --all-failed");
  await withPlatform(flags, async ({ nc, registry }) => {
    if (!(await registry.get(name))) throw new UsageError(`${name} is not deployed`);
    const parts = {
      store: await ResultStore.open(nc),
      queue: await WorkQueue.open(nc),
      deadLetters: await DeadLetters.open(nc),
    };
    const ids = id ? [id] : await parts.deadLetters.ids(name);
    for (const each of ids) {
      await requeue(name, each, parts);
      if (flags.output === "json") console.log(JSON.stringify({ name, id: each, action: "requeued" }));
      else say(`requeued ${each}`);
    }
    if (ids.length === 0 && flags.output === "pretty") say(`${name} has no failed requests to requeue`);
  });
}
