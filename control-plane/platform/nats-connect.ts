import { readFile } from "node:fs/promises";
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { NatsStartError } from "./errors.ts";

/**
 * Connects to NATS with the credentials the environment gives: a user and password inside the
 * URL (`nats://user:pass@host:4222`), `NATS_TOKEN`, or a `.creds` file named by `NATS_CREDS`.
 * Errors and logs show the URL with its password hidden.
 */
export async function connectNats(url: string, options: Partial<NodeConnectionOptions> = {}): Promise<NatsConnection> {
  const auth: Partial<NodeConnectionOptions> = {};
  const token = process.env["NATS_TOKEN"];
  if (token) auth.token = token;
  const creds = process.env["NATS_CREDS"];
  if (creds) {
    const bytes = await readFile(creds).catch((err: Error) => {
      throw new NatsStartError(`cannot read the NATS credentials file ${creds} (NATS_CREDS): ${err.message}`);
    });
    auth.authenticator = credsAuthenticator(bytes);
  }
  try {
    const servers = url
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean); // a cluster: several URLs
    return await connect({ servers, ...auth, ...options });
  } catch (err) {
    throw new NatsStartError(`could not connect to NATS at ${redactUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The URL with any password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@/]+)@/, "//$1:***@");
}
