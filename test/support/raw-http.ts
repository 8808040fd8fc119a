import { connect, type Socket } from "node:net";

/** What came back on a raw connection, read until the server closed it (or the deadline passed). */
export interface RawAnswer {
  /** `null` when no status line arrived. */
  status: number | null;
  /** Lower-case names; the last of repeated headers wins. */
  headers: Record<string, string>;
  body: Buffer;
  /** The deadline passed with the connection still open; the client closed it. */
  timedOut: boolean;
  /** The socket's error, e.g. ECONNRESET when the server closed it while the request was being written. */
  error?: string;
}

/** One TCP connection to a listener on 127.0.0.1, for requests fetch cannot send or timing it cannot control. */
export interface RawConnection {
  /** Writes bytes; resolves once they are handed to the kernel (or the connection is gone). */
  write(data: string | Uint8Array): Promise<void>;
  /** Half-closes: the server sees the end of the stream, the answer can still come back. */
  end(): void;
  /** Closes the connection at once. */
  destroy(): void;
  /** True until either side closed the connection. */
  readonly open: boolean;
  /** Settles when the connection is closed by either side, or destroys it at the deadline. */
  answer: Promise<RawAnswer>;
}

/** Opens a connection that lives at most `deadlineMs`. */
export async function rawConnect(port: number, deadlineMs: number): Promise<RawConnection> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
  let error: string | undefined;
  // A reset after the server answered (e.g. a 431 while the request is still being written) is expected.
  socket.on("error", (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  let open = true;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy();
  }, deadlineMs);
  const answer = new Promise<RawAnswer>((resolve) => {
    socket.once("close", () => {
      open = false;
      clearTimeout(timer);
      resolve({ ...parseAnswer(Buffer.concat(chunks)), timedOut, ...(error ? { error } : {}) });
    });
  });
  return {
    write: (data) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve();
        socket.write(data, () => resolve());
      }),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    get open() {
      return open;
    },
    answer,
  };
}

/** Sends `request` on a new connection and reads the answer until the server closes it. */
export async function rawRequest(port: number, request: string | Uint8Array, deadlineMs = 5_000): Promise<RawAnswer> {
  const connection = await rawConnect(port, deadlineMs);
  await connection.write(request);
  return connection.answer;
}

/** An HTTP/1.1 request with `Connection: close`, so the server closes the connection once it answered. */
export function rawHttp(
  method: string,
  target: string,
  headers: Array<[string, string | Buffer]>,
  body?: Uint8Array,
): Buffer {
  const lines = [Buffer.from(`${method} ${target} HTTP/1.1\r\n`)];
  for (const [name, value] of [...headers, ["connection", "close"] as [string, string]]) {
    lines.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from("\r\n"));
  }
  if (body !== undefined) lines.push(Buffer.from(`content-length: ${body.byteLength}\r\n`));
  lines.push(Buffer.from("\r\n"));
  if (body !== undefined) lines.push(Buffer.from(body));
  return Buffer.concat(lines);
}

function parseAnswer(raw: Buffer): Omit<RawAnswer, "timedOut" | "error"> {
  const end = raw.indexOf("\r\n\r\n");
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1];
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
  return { status: status === undefined ? null : Number(status), headers, body };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol === -1) break;
    const size = parseInt(data.subarray(at, eol).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
