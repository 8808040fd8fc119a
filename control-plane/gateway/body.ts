import type { Context } from "hono";
import type { IncomingMessage } from "node:http";
import type { BodyShare } from "./body-budget.ts";
import { BodyIncompleteError, PayloadTooLargeError } from "./errors.ts";

/**
 * Reads a request body of at most `limit` bytes, into `share` of the gateway's body memory. A
 * declared Content-Length over the limit is refused before a byte is read, and one the share
 * cannot cover (GatewayBusyError) too; a chunked body is counted while it streams and refused as
 * soon as it passes either, so an oversized body is never held whole in memory.
 */
export async function readBody(c: Context, limit: number, share: BodyShare): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  if (declared > 0) share.cover(declared);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // On Node, reading the IncomingMessage directly skips building a web ReadableStream per request.
  return incoming ? readIncoming(incoming, limit, share) : readWeb(c, limit, share);
}

function readIncoming(incoming: IncomingMessage, limit: number, share: BodyShare): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      try {
        if (size > limit) throw new PayloadTooLargeError(limit);
        share.cover(size);
        chunks.push(chunk);
      } catch (err) {
        done();
        incoming.pause(); // stop reading; the 413 or 503 goes out with Connection: close
        reject(err as Error);
      }
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // The only error of a request stream: the client went away mid-body (e.g. `aborted`, ECONNRESET).
    const onError = (err: Error): void => {
      done();
      reject(new BodyIncompleteError({ cause: err }));
    };
    incoming.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

async function readWeb(c: Context, limit: number, share: BodyShare): Promise<Uint8Array> {
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    try {
      if (size > limit) throw new PayloadTooLargeError(limit);
      share.cover(size);
    } catch (err) {
      await reader.cancel();
      throw err;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
