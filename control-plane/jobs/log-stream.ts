import type { NatsConnection } from "@nats-io/transport-node";
import { isApiName } from "./names.ts";

/** The `replica` of a line the API's worker wrote itself (e.g. fetching models), not a runtime. */
export const WORKER_LINE = -1;

/** One line an API's runtimes (or its worker) wrote, as `glia logs` shows it. */
export interface LogLine {
  time: string;
  api: string;
  /** The runtime's replica, or {@link WORKER_LINE}. */
  replica: number;
  stream: "stdout" | "stderr";
  requestId?: string;
  /** The line as the runtime wrote it (a JSON object when it was one). */
  line: unknown;
}

function logSubject(api: string): string {
  if (!isApiName(api)) throw new TypeError(`not an API name: ${JSON.stringify(api)}`);
  return `glia.logs.${api}`;
}

/** Publishes a runtime's line for live followers (core NATS: nobody listening costs nothing). */
export function publishLog(nc: NatsConnection, line: LogLine): void {
  nc.publish(logSubject(line.api), JSON.stringify(line));
}

/**
 * Follows an API's lines live until `signal` aborts; `onFollowing` runs once the server has the
 * subscription, i.e. from when on no line is missed.
 */
export async function followLogs(
  nc: NatsConnection,
  api: string,
  onLine: (line: LogLine) => void,
  signal: AbortSignal,
  onFollowing: () => void = () => {},
): Promise<void> {
  const sub = nc.subscribe(logSubject(api));
  signal.addEventListener("abort", () => sub.unsubscribe(), { once: true });
  await nc.flush();
  onFollowing();
  for await (const msg of sub) onLine(msg.json<LogLine>());
}
