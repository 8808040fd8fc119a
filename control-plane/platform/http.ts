import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { getRequestListener, RequestError } from "@hono/node-server";
import type { Hono } from "hono";

export interface Listener {
  host: string;
  port: number;
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>;
}

/** Serves a Hono app on `host:port` (port 0 picks a free one). */
export async function listen(app: Hono, host: string, port: number): Promise<Listener> {
  const server = createServer(getRequestListener(app.fetch, { hostname: host, errorHandler: unreadable }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  return {
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * Answers what the adapter could not turn into a Request before the app saw it (a Host header
 * that is no host name, a backslash in the path): a JSON error like the app's, not an empty 400.
 */
function unreadable(err: unknown): Response {
  if (err instanceof RequestError)
    return Response.json({ error: `malformed request: ${err.message}`, code: "BAD_REQUEST" }, { status: 400 });
  return Response.json({ error: "internal error; see the gateway log", code: "INTERNAL" }, { status: 500 });
}
