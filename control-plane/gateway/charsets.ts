import {
  CODEC_ALIASES,
  PYTHON_CODECS,
  SINGLE_BYTE_CODECS,
  UNCHECKED_CODECS,
  type UNICODE_CODECS,
} from "./charset-tables.ts";

/**
 * Text decoding as the runtime does it (`body.decode(charset)` in Python): the codec a charset
 * label names, by Python's lookup rules and aliases, and a check, chunk by chunk, that a body
 * decodes in it. The tables come from Python itself (scripts/gen-charset-tables.py).
 */

/** What a charset label names in Python. */
export type CodecLookup =
  | { kind: "checked"; codec: string; checker: () => TextChecker }
  | { kind: "unchecked"; codec: string } // Python decodes it, the gateway cannot check it
  | { kind: "unknown" };

/** Takes a body in chunks; throws TextDecodeProblem at the first byte the codec refuses. */
export interface TextChecker {
  write(chunk: Uint8Array): void;
  end(): void;
}

export class TextDecodeProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TextDecodeProblem";
  }
}

const KNOWN = new Set(PYTHON_CODECS);
const UNCHECKED = new Set(UNCHECKED_CODECS);

/** Python's codec for a charset label: `codecs.lookup`, then `encodings.search_function`. */
export function lookupCodec(label: string): CodecLookup {
  if (!/^[\x20-\x7e]*$/.test(label)) return { kind: "unknown" }; // header values are ASCII here
  // codecs.lookup: lower case, spaces to hyphens; then encodings.normalize_encoding.
  const norm = normalizeEncoding(label.toLowerCase().replaceAll(" ", "-"));
  const alias = CODEC_ALIASES[norm] ?? CODEC_ALIASES[norm.replaceAll(".", "_")];
  const codec = [alias, norm].find((name) => name && !name.includes(".") && KNOWN.has(name));
  if (!codec) return { kind: "unknown" };
  if (UNCHECKED.has(codec)) return { kind: "unchecked", codec };
  return { kind: "checked", codec, checker: () => checkerFor(codec) };
}

/** `encodings.normalize_encoding`: runs of characters other than letters, digits and `.` become one `_`. */
function normalizeEncoding(name: string): string {
  return name
    .split(/[^a-z0-9.]+/)
    .filter((part) => part !== "")
    .join("_");
}

function checkerFor(codec: string): TextChecker {
  const table = SINGLE_BYTE_CODECS[codec];
  if (table !== undefined) return singleByte(codec, table);
  switch (codec as (typeof UNICODE_CODECS)[number]) {
    case "utf_16":
      return withBom(
        (head) => (head[0] === 0xfe && head[1] === 0xff ? "utf_16_be" : "utf_16_le"),
        2,
        (name) => checkerFor(name),
      );
    case "utf_16_le":
    case "utf_16_be":
      return whatwg(codec, codec === "utf_16_le" ? "utf-16le" : "utf-16be");
    case "utf_32":
      return withBom(
        (head) => (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff ? "be" : "le"),
        4,
        utf32,
      );
    case "utf_32_le":
      return utf32("le");
    case "utf_32_be":
      return utf32("be");
    default: // utf_8, utf_8_sig (a BOM is valid UTF-8)
      return whatwg(codec, "utf-8");
  }
}

/** Each byte on its own: defined in the codec or not. */
function singleByte(codec: string, table: string): TextChecker {
  const defined = new Uint8Array(256);
  const bits = BigInt(`0x${table}`);
  for (let b = 0; b < 256; b++) defined[b] = Number((bits >> BigInt(b)) & 1n);
  let offset = 0;
  return {
    write(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (!defined[b]) {
          throw new TextDecodeProblem(
            `byte 0x${b.toString(16).padStart(2, "0")} at offset ${offset + i} is not defined in ${codec}`,
          );
        }
      }
      offset += chunk.length;
    },
    end() {},
  };
}

/** The WHATWG decoders of UTF-8 and UTF-16 refuse exactly what Python's strict codecs refuse. */
function whatwg(codec: string, label: string): TextChecker {
  const decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  const run = (chunk?: Uint8Array): void => {
    try {
      decoder.decode(chunk, { stream: chunk !== undefined });
    } catch {
      throw new TextDecodeProblem(`it is not valid ${codec}`);
    }
  };
  return { write: (chunk) => run(chunk), end: () => run() };
}

/** Picks the codec from the first `size` bytes (a byte-order mark, or its absence), then checks all. */
function withBom<T>(pick: (head: Uint8Array) => T, size: number, make: (choice: T) => TextChecker): TextChecker {
  let head = new Uint8Array(0);
  let inner: TextChecker | undefined;
  const start = (): TextChecker => {
    inner = make(pick(head));
    inner.write(head);
    return inner;
  };
  return {
    write(chunk) {
      if (inner) return inner.write(chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length >= size) start();
    },
    end() {
      (inner ?? start()).end();
    },
  };
}

/** UTF-32: whole four-byte units, each a code point up to U+10FFFF and not a surrogate. */
function utf32(order: "le" | "be"): TextChecker {
  const pending: number[] = [];
  let offset = 0;
  const unit = (): void => {
    const [a, b, c, d] = order === "le" ? pending : [...pending].reverse();
    const cp = (a! | (b! << 8) | (c! << 16) | (d! << 24)) >>> 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new TextDecodeProblem(
        `the code unit at offset ${offset - 4} is not a Unicode scalar value in utf_32_${order}`,
      );
    }
    pending.length = 0;
  };
  return {
    write(chunk) {
      for (const byte of chunk) {
        pending.push(byte);
        offset++;
        if (pending.length === 4) unit();
      }
    },
    end() {
      if (pending.length) throw new TextDecodeProblem(`it ends in a truncated utf_32_${order} code unit`);
    },
  };
}
