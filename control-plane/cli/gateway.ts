import { resolve } from "node:path";
import { gliaEnvironment } from "../config/index.ts";
import { ApiKeys, parseCorsOrigins } from "../gateway/index.ts";
import { createLogger } from "../observability/index.ts";
import { readState, startGatewayService, type NatsCredentials } from "../platform/index.ts";
import { parsePort, parseTtl, say, UsageError, wholeNumber } from "./flags.ts";

export interface GatewayFlags {
  natsUrl?: string;
  host: string;
  port: string;
  internalHost: string;
  internalPort: string;
  replicas: string;
  resultTtl?: string;
  apiKeysFile?: string;
  corsOrigin?: string[];
  logLevel: string;
}

/**
 * `glia gateway`: the HTTP gateway alone, for a platform whose workers run elsewhere (a cluster's
 * gateway pods, or a second gateway beside `glia up`). Stops on SIGTERM/SIGINT.
 */
export async function runGateway(flags: GatewayFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel });
  const env = gliaEnvironment();
  const base = env.invocationDir;
  const { natsUrl, natsCredentials } = await platformNats(flags.natsUrl);
  const gateway = await startGatewayService({
    natsUrl,
    natsCredentials,
    logger,
    host: flags.host,
    port: parsePort("--port", flags.port),
    internalHost: flags.internalHost,
    internalPort: parsePort("--internal-port", flags.internalPort),
    replicas: wholeNumber("--replicas", flags.replicas),
    resultTtlMs: flags.resultTtl === undefined ? undefined : parseTtl(flags.resultTtl),
    apiKeys: await ApiKeys.load(flags.apiKeysFile && resolve(base, flags.apiKeysFile), env.apiKeys),
    corsOrigins: parseCorsOrigins(flags.corsOrigin ?? []),
  });
  say(`glia gateway is serving on ${gateway.url} (internal listener ${gateway.internalUrl})`);
  const signal = await new Promise<string>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  say(`${signal}: answering the requests in flight, then stopping`);
  await gateway.stop();
  logger.flush();
}

/**
 * The NATS to use: the one named, with the environment's credentials; else the server `glia up`
 * started, with the gateway identity it recorded (a gateway's permissions, not the platform's).
 */
async function platformNats(
  natsUrl: string | undefined,
): Promise<{ natsUrl: string; natsCredentials?: NatsCredentials }> {
  if (natsUrl) return { natsUrl };
  const state = await readState();
  if (!state) throw new UsageError("no running glia found; start one with `glia up`, or pass --nats-url");
  return { natsUrl: state.natsUrl, natsCredentials: state.nats?.gateway };
}
