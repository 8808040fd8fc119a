import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../control-plane/config/index.ts";
import { up, type NatsCredentials, type Platform } from "../../control-plane/platform/index.ts";
import { createLogger, silentLogger, type Logger } from "../../control-plane/observability/index.ts";
import type { ApiKeys } from "../../control-plane/gateway/index.ts";
import type { RunAs } from "../../control-plane/runtime/index.ts";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export interface TestPlatform extends AsyncDisposable {
  platform: Platform;
  /** The nats-server the platform started (with authorization), and the platform's own credentials. */
  nats: { url: string; credentials?: NatsCredentials };
  url(api: string): string;
  /** Where the platform keeps its bundles and specs (removed by `stop`). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  ackWaitMs?: number;
  internalPort?: number;
  apiKeys?: ApiKeys | null;
  /** Origins the public listener answers CORS to. @default none */
  corsOrigins?: readonly string[];
  /** Where the platform logs; by default nowhere (see testLogger). */
  logger?: Logger;
  /** The GPUs the platform hands out. @default none */
  gpus?: string[];
  /** Run handlers as this user (glia as root with --run-as). */
  runAs?: RunAs;
  /** How often each API's autoscaler samples and decides. @default 10 s */
  autoscaleTickMs?: number;
  /** Receives the lines `glia up` prints while APIs start (environments, models, runtimes). */
  onProgress?: (line: string) => void;
}

/** Logs go nowhere unless GLIA_TEST_LOG=debug|info is set, for reading a failing run. */
function testLogger(): Logger {
  const level = process.env["GLIA_TEST_LOG"];
  return level ? createLogger({ level, destination: process.stderr }) : silentLogger();
}

/**
 * The real stack on loopback, started as `glia up` starts it: its own nats-server (with
 * authorization, in a fresh data folder), the gateway on a free port, workers, runtimes. The CLI
 * finds it through the state file, as a user's would.
 */
export async function startPlatform(fixtures: string[], options: TestPlatformOptions = {}): Promise<TestPlatform> {
  // Never touch the user's record of a running platform.
  process.env["GLIA_STATE_FILE"] ??= join(tmpdir(), `glia-test-state-${process.pid}.json`);
  const dataDir = await mkdtemp(join(tmpdir(), "glia-test-data-"));
  try {
    const projects = await Promise.all(fixtures.map((f) => loadProject(resolve(FIXTURES, f))));
    const platform = await up({
      projects,
      port: 0,
      internalPort: 0,
      dataDir,
      gpus: [],
      ...options,
      logger: options.logger ?? testLogger(),
    });
    const stop = async (): Promise<void> => {
      await platform.stop(2_000);
      await rm(dataDir, { recursive: true, force: true });
    };
    const url = (api: string): string => platform.apis.find((a) => a.name === api)!.url;
    return { platform, nats: platform.nats, url, dataDir, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
