import { parse as parseContentType } from "content-type";
import { PayloadError } from "./errors.ts";

/**
 * Refuses at submit what the runtime could never decode (see the runtime's payload rules):
 * `application/json` must be valid UTF-8 JSON, `text/plain` must decode in its charset
 * (UTF-8 unless the `charset` parameter says otherwise). Other types are opaque bytes.
 */
export function checkPayload(contentType: string | undefined, body: Uint8Array): void {
  const media = mediaType(contentType);
  if (media?.type === "application/json") checkJson(body, contentType!);
  if (media?.type === "text/plain") checkText(body, media.charset ?? "utf-8");
}

interface Media {
  type: string;
  charset: string | undefined;
}

function mediaType(header: string | undefined): Media | null {
  if (!header || !header.trim()) return null;
  try {
    const parsed = parseContentType(header);
    return { type: parsed.type.toLowerCase(), charset: parsed.parameters["charset"] };
  } catch (err) {
    throw new PayloadError(
      `the Content-Type header ${JSON.stringify(header)} is malformed; send e.g. "application/json"`,
      {
        cause: err,
      },
    );
  }
}

function checkJson(body: Uint8Array, header: string): void {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch (err) {
    throw new PayloadError(`the body is not valid UTF-8, so it cannot be JSON (Content-Type: ${header})`, {
      cause: err,
    });
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new PayloadError(`the body is not valid JSON (Content-Type: ${header}): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Charsets whose WHATWG decoder is laxer than the runtime's (Python's) codec: bytes must be 7-bit. */
const SEVEN_BIT = new Set(["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us"]);

function checkText(body: Uint8Array, charset: string): void {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch (err) {
    throw new PayloadError(
      `unknown charset ${JSON.stringify(charset)} in Content-Type; use e.g. "text/plain; charset=utf-8"`,
      {
        cause: err,
      },
    );
  }
  if (SEVEN_BIT.has(charset.toLowerCase()) && body.some((b) => b > 0x7f)) {
    throw new PayloadError(`the body has bytes outside ${charset}; send it as "text/plain; charset=utf-8"`);
  }
  try {
    decoder.decode(body);
  } catch (err) {
    throw new PayloadError(`the body cannot be decoded as ${charset} text; fix the charset parameter of Content-Type`, {
      cause: err,
    });
  }
}
