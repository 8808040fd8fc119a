import { readFile } from "node:fs/promises";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { gliaEnvironment } from "../config/index.ts";
import { NatsStartError } from "./errors.ts";

/** A process's NATS identity besides its URL: an NKey seed file and the inbox prefix its permissions allow. */
export interface NatsCredentials {
  /** A file holding an NKey seed (`glia up` makes one per role for the server it starts). */
  nkeyFile?: string;
  /** @default "_INBOX" */
  inboxPrefix?: string;
}

/**
 * Connects to NATS with the credentials given or, where none are, those the environment gives:
 * a user and password or a token inside the URL (`nats://user:pass@host:4222`,
 * `nats://TOKEN@host:4222`), `NATS_TOKEN`, a `.creds` file named by `NATS_CREDS`, or an NKey seed
 * file named by `NATS_NKEY` (with `NATS_INBOX_PREFIX`). The client ignores credentials written in
 * a URL, so they are taken out of it and passed as options. Errors show the URL redacted.
 */
export async function connectNats(
  url: string,
  options: Partial<NodeConnectionOptions> = {},
  credentials: NatsCredentials = credentialsFromEnv(),
): Promise<NatsConnection> {
  const { servers, user, pass, token } = parseServers(url);
  const auth: Partial<NodeConnectionOptions> = {};
  if (user !== undefined) Object.assign(auth, { user, pass });
  // An NKey given (glia's own server) is the whole identity; otherwise the environment's credentials.
  const fromEnv = !credentials.nkeyFile;
  const env = gliaEnvironment().nats;
  const envToken = fromEnv ? env.token : undefined;
  if (token !== undefined || envToken) auth.token = token ?? envToken;
  const authenticators: Authenticator[] = [];
  const creds = fromEnv ? env.creds : undefined;
  if (creds) authenticators.push(credsAuthenticator(await readSecret(creds, "NATS_CREDS")));
  if (credentials.nkeyFile) {
    const seed = new TextEncoder().encode((await readSecret(credentials.nkeyFile, "NKey seed")).toString().trim());
    authenticators.push(nkeyAuthenticator(seed));
  }
  if (authenticators.length) auth.authenticator = authenticators.length === 1 ? authenticators[0] : authenticators;
  if (credentials.inboxPrefix) auth.inboxPrefix = credentials.inboxPrefix;
  try {
    // Without async traces the client does not make an Error (and capture its stack) for every
    // request it sends in case it fails: a few percent of the CPU of each request through glia.
    return await connect({ servers, noAsyncTraces: true, ...auth, ...options });
  } catch (err) {
    throw new NatsStartError(`could not connect to NATS at ${redactUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** `NATS_NKEY` and `NATS_INBOX_PREFIX`, as `glia up` gives its worker processes. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): NatsCredentials {
  const { nkeyFile, inboxPrefix } = gliaEnvironment(env).nats;
  return { nkeyFile, inboxPrefix };
}

/**
 * The servers of a URL list (`a,b,c`) without credentials, and the credentials they carried. Every
 * server of a cluster takes the same ones, so the first found is used; two different ones are refused.
 */
export function parseServers(urls: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  const found: Array<{ user?: string; pass?: string; token?: string }> = [];
  const servers = urls
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => {
      const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@(.*)$/i.exec(u);
      if (!m) return u;
      const [, scheme, userinfo, rest] = m as unknown as [string, string, string, string];
      const colon = userinfo.indexOf(":");
      const decode = (s: string): string => decodeURIComponent(s);
      found.push(
        colon < 0
          ? { token: decode(userinfo) }
          : { user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) },
      );
      return `${scheme}${rest}`;
    });
  const distinct = new Set(found.map((f) => JSON.stringify(f)));
  if (distinct.size > 1)
    throw new NatsStartError(
      `the NATS URLs ${redactUrl(urls)} carry different credentials; give every server the same ones`,
    );
  return { servers, ...found[0] };
}

/** The URLs with every password and token replaced, for logs and messages. */
export function redactUrl(url: string): string {
  return url
    .split(",")
    .map((u) =>
      u.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_all, scheme: string, userinfo: string) => {
        const colon = userinfo.indexOf(":");
        return colon < 0 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
      }),
    )
    .join(",");
}

async function readSecret(file: string, what: string): Promise<Buffer> {
  return readFile(file).catch((err: Error) => {
    throw new NatsStartError(`cannot read the ${what} file ${file}: ${err.message}`);
  });
}
