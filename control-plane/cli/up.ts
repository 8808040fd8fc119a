import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { defaultDataDir, gliaEnvironment, loadProject } from "../config/index.ts";
import { resolveRunAs, up, type Platform } from "../platform/index.ts";
import { ApiKeys, parseCorsOrigins } from "../gateway/index.ts";
import { createLogger } from "../observability/index.ts";
import { parsePort, parseTtl, positiveNumber, say, wholeNumber } from "./flags.ts";

export interface UpFlags {
  port: string;
  internalPort: string;
  host: string;
  natsUrl?: string;
  dataDir?: string;
  requestTimeout: string;
  resultTtl: string;
  apiKeysFile?: string;
  corsOrigin?: string[];
  replicas: string;
  runAs?: string;
  logLevel: string;
}

/** `glia up [project...]`: serve the projects until Ctrl-C, then drain and stop. */
export async function runUp(targets: string[], flags: UpFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel });
  // `npm run glia -- up ./x` runs in the package folder; INIT_CWD is where the user typed it.
  const env = gliaEnvironment();
  const base = env.invocationDir;
  // With no project named, serve the current folder's cortex.yaml if there is one, else start empty.
  const named = targets.length ? targets : (await exists(resolve(base, "cortex.yaml"))) ? ["."] : [];
  const projects = await Promise.all(named.map((t) => loadProject(resolve(base, t))));
  for (const p of projects) p.warnings.forEach((w) => say(`warning: ${w}`));
  const platform = await up({
    projects,
    logger,
    host: flags.host,
    port: parsePort("--port", flags.port),
    internalPort: parsePort("--internal-port", flags.internalPort),
    natsUrl: flags.natsUrl,
    dataDir: resolve(flags.dataDir ?? (projects[0] ? resolve(projects[0].projectDir, ".glia") : defaultDataDir())),
    requestTimeoutMs: positiveNumber("--request-timeout", flags.requestTimeout) * 1000,
    resultTtlMs: parseTtl(flags.resultTtl),
    onProgress: say,
    replicas: wholeNumber("--replicas", flags.replicas),
    runAs: flags.runAs === undefined ? undefined : await resolveRunAs(flags.runAs),
    apiKeys: await ApiKeys.load(flags.apiKeysFile && resolve(base, flags.apiKeysFile), env.apiKeys),
    corsOrigins: parseCorsOrigins(flags.corsOrigin ?? []),
  });
  printBanner(platform);
  await waitForSignal(platform);
  logger.flush();
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function printBanner(platform: Platform): void {
  say("");
  say(`glia is serving on ${platform.url}`);
  if (platform.apis.length === 0) say("  no projects given: deploy one with `glia deploy path/to/cortex.yaml`");
  for (const api of platform.apis) {
    say(`  ${api.name} (${api.replicas} runtime${api.replicas === 1 ? "" : "s"}): ${api.url}`);
    say(`    curl ${api.url} -X POST -H "Content-Type: application/json" -d '{"key": "value"}'`);
    say(`    curl ${api.url}/<id>`);
  }
  say("Press Ctrl-C to stop (running requests are finished first).");
}

function waitForSignal(platform: Platform): Promise<void> {
  return new Promise((done) => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) {
        say(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      say(`\n${signal}: finishing running requests, then stopping (press Ctrl-C again to exit at once)`);
      void platform.stop().then(done);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
