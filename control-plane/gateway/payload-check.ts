import { setImmediate as nextTurn } from "node:timers/promises";
import { parse as parseContentType } from "content-type";
import { PayloadError } from "./errors.ts";
import { JsonScanError, JsonScanner } from "./json-scan.ts";
import { lookupCodec, TextDecodeProblem, type TextChecker } from "./charsets.ts";
import { parseMediaType } from "./media-type.ts";

/**
 * Deepest nesting of arrays and objects a JSON body may have. The runtime parses JSON with
 * Python's `json.loads`, which recurses once per level under a recursion limit of 1,000 frames
 * shared with the runtime's own (about 50 deep when it decodes): 512 leaves room for both.
 */
export const MAX_JSON_DEPTH = 512;

/** Longest integer in a JSON body, in digits: Python's `sys.get_int_max_str_digits()` default. */
export const MAX_JSON_INTEGER_DIGITS = 4300;

/** Bytes checked between two turns of the event loop (a millisecond or two of work). */
const SLICE_BYTES = 64 * 1024;

/**
 * Refuses at submit what the runtime could never decode (see the runtime's payload rules):
 * `application/json` must be UTF-8 JSON that Python parses, nested at most MAX_JSON_DEPTH deep;
 * `text/plain` must decode in its charset (UTF-8 unless the `charset` parameter says otherwise)
 * exactly as Python's codec decodes it. Other types are opaque bytes. The body is checked in
 * slices, yielding to the event loop between them, so no body holds up other requests.
 */
export async function checkPayload(contentType: string | undefined, body: Uint8Array): Promise<void> {
  const media = mediaType(contentType);
  if (media?.essence === "application/json") await checkJson(body, contentType!);
  if (media?.essence === "text/plain") await checkText(body, media.params.get("charset") ?? "utf-8");
}

function mediaType(header: string | undefined): ReturnType<typeof parseMediaType> {
  if (!header || !header.trim()) return null;
  try {
    parseContentType(header); // stricter than the runtime: refuse what is not RFC 9110
  } catch (err) {
    throw new PayloadError(
      `the Content-Type header ${JSON.stringify(header)} is malformed; send e.g. "application/json"`,
      {
        cause: err,
      },
    );
  }
  // The runtime's reading of the header decides how the body is decoded, so it decides the check.
  return parseMediaType(header);
}

/** Feeds `body` to `write` a slice at a time, letting other requests run between slices. */
async function sliced(body: Uint8Array, write: (slice: Uint8Array) => void): Promise<void> {
  for (let at = 0; at < body.length; at += SLICE_BYTES) {
    if (at > 0) await nextTurn();
    write(body.subarray(at, at + SLICE_BYTES));
  }
}

async function checkJson(body: Uint8Array, header: string): Promise<void> {
  const scanner = new JsonScanner({ maxDepth: MAX_JSON_DEPTH, maxIntegerDigits: MAX_JSON_INTEGER_DIGITS });
  try {
    await sliced(body, (slice) => scanner.write(slice));
    scanner.end();
  } catch (err) {
    if (!(err instanceof JsonScanError)) throw err;
    throw new PayloadError(jsonMessage(err, header), { cause: err });
  }
}

function jsonMessage(err: JsonScanError, header: string): string {
  switch (err.problem) {
    case "utf8":
      return `the body is not valid UTF-8, so it cannot be JSON (Content-Type: ${header}): ${err.message}`;
    case "depth":
      return (
        `the JSON body is nested too deeply: ${err.message}; ` +
        `flatten it, or send it as application/octet-stream and parse it in the handler`
      );
    default:
      return `the body is not valid JSON (Content-Type: ${header}): ${err.message}`;
  }
}

async function checkText(body: Uint8Array, charset: string): Promise<void> {
  const codec = lookupCodec(charset);
  if (codec.kind === "unknown") {
    throw new PayloadError(
      `unknown charset ${JSON.stringify(charset)} in Content-Type; use e.g. "text/plain; charset=utf-8"`,
    );
  }
  if (codec.kind === "unchecked") {
    throw new PayloadError(
      `text in charset ${JSON.stringify(charset)} (codec ${codec.codec}) is not taken: glia checks text at submit ` +
        `only in UTF-8, UTF-16, UTF-32 and single-byte charsets; send it as "text/plain; charset=utf-8", ` +
        `or as application/octet-stream and decode it in the handler`,
    );
  }
  const checker: TextChecker = codec.checker();
  try {
    await sliced(body, (slice) => checker.write(slice));
    checker.end();
  } catch (err) {
    if (!(err instanceof TextDecodeProblem)) throw err;
    throw new PayloadError(
      `the body cannot be decoded as ${charset} text: ${err.message}; fix the charset parameter of Content-Type`,
      { cause: err },
    );
  }
}
