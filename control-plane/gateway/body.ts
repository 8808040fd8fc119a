import type { Context } from "hono";
import type { IncomingMessage } from "node:http";
import { PayloadTooLargeError } from "./errors.ts";

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is
 * refused before a byte is read; a chunked body is counted while it streams and refused as soon as
 * it passes the limit, so an oversized body is never held whole in memory.
 */
export async function readBody(c: Context, limit: number): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // On Node, reading the IncomingMessage directly skips building a web ReadableStream per request.
  return incoming ? readIncoming(incoming, limit) : readWeb(c, limit);
}

async function readIncoming(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      incoming.destroy();
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function readWeb(c: Context, limit: number): Promise<Uint8Array> {
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
