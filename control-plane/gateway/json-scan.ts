/**
 * An incremental JSON validator over UTF-8 bytes (RFC 8259): it builds no values, holds no more
 * than one byte of nesting state per level, and takes its input in chunks, so a caller can yield
 * to the event loop between them. It refuses what Python's `json.loads` would refuse of valid
 * JSON too: nesting past `maxDepth` (Python's recursion limit) and integers of more than
 * `maxIntegerDigits` digits (Python's `sys.get_int_max_str_digits()`).
 */

/** Why a body is not JSON the runtime can parse. */
export type JsonProblem = "syntax" | "utf8" | "depth" | "integer";

export class JsonScanError extends Error {
  constructor(
    readonly problem: JsonProblem,
    message: string,
    /** Byte offset of the culprit in the whole input. */
    readonly offset: number,
  ) {
    super(message);
    this.name = "JsonScanError";
  }
}

export interface JsonScanLimits {
  /** Deepest nesting of arrays and objects taken. */
  maxDepth: number;
  /** Most digits an integer (a number without fraction or exponent) may have, sign not counted. */
  maxIntegerDigits: number;
}

// States. AFTER: a value ended; VALUE: a value must come; the rest name what was last read.
const BOM = 0; // the start: an optional UTF-8 byte-order mark, then a value
const VALUE = 1;
const ARRAY_FIRST = 2; // just after `[`: a value or `]`
const OBJECT_FIRST = 3; // just after `{`: a key or `}`
const KEY = 4; // after `,` in an object
const COLON = 5;
const AFTER = 6;
const STRING = 7;
const ESCAPE = 8;
const UNICODE_ESCAPE = 9;
const UTF8_TAIL = 10;
const LITERAL = 11;
const MINUS = 12;
const ZERO = 13;
const INTEGER = 14;
const DOT = 15;
const FRACTION = 16;
const EXP_MARK = 17;
const EXP_SIGN = 18;
const EXPONENT = 19;

const IN_ARRAY = 0;
const IN_OBJECT = 1;

const LITERALS: Record<number, Uint8Array> = {
  0x74: Buffer.from("true"),
  0x66: Buffer.from("false"),
  0x6e: Buffer.from("null"),
};
const BOM_BYTES = [0xef, 0xbb, 0xbf];

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isHex = (b: number): boolean => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

export class JsonScanner {
  #state = BOM;
  #offset = 0; // of the chunk being scanned, in the whole input
  #depth = 0;
  readonly #stack: Uint8Array;
  #inKey = false;
  #count = 0; // BOM bytes seen, hex digits left, UTF-8 bytes left, literal bytes seen, integer digits
  #literal: Uint8Array = LITERALS[0x74]!;
  #low = 0; // the range the next UTF-8 continuation byte must be in
  #high = 0;
  readonly #limits: JsonScanLimits;

  constructor(limits: JsonScanLimits) {
    this.#limits = limits;
    this.#stack = new Uint8Array(limits.maxDepth);
  }

  /** The nesting depth reached at the current position. */
  get depth(): number {
    return this.#depth;
  }

  /** Scans the next chunk of the input; throws JsonScanError at the first problem. */
  write(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) i = this.#step(chunk, i, n);
    this.#offset += n;
  }

  /** Ends the input; throws JsonScanError when it stops short of one whole JSON value. */
  end(): void {
    if (this.#state >= ZERO && this.#state !== DOT && this.#state !== EXP_MARK && this.#state !== EXP_SIGN) {
      this.#endNumber(this.#offset);
    }
    if (this.#state !== AFTER || this.#depth !== 0) {
      throw new JsonScanError("syntax", `unexpected end of the body at byte ${this.#offset}`, this.#offset);
    }
  }

  /** Consumes from `chunk[i]` on; returns where to go on. One state per call, tight loops inside. */
  #step(chunk: Uint8Array, i: number, n: number): number {
    const b = chunk[i]!;
    switch (this.#state) {
      case STRING:
        return this.#string(chunk, i, n);
      case AFTER:
        return this.#after(b, i);
      case BOM:
        if (b !== BOM_BYTES[this.#count]) {
          if (this.#count > 0) this.#fail(b, i);
          this.#state = VALUE;
          return i;
        }
        if (++this.#count === 3) this.#state = VALUE;
        return i + 1;
      case VALUE:
      case ARRAY_FIRST:
        return this.#value(b, i);
      case OBJECT_FIRST:
      case KEY:
        if (isSpace(b)) return i + 1;
        if (b === 0x7d && this.#state === OBJECT_FIRST) return this.#close(IN_OBJECT, i);
        if (b !== 0x22) this.#fail(b, i, "a string key");
        this.#inKey = true;
        this.#state = STRING;
        return i + 1;
      case COLON:
        if (isSpace(b)) return i + 1;
        if (b !== 0x3a) this.#fail(b, i, "':'");
        this.#state = VALUE;
        return i + 1;
      case ESCAPE:
        if (b === 0x75) {
          this.#state = UNICODE_ESCAPE;
          this.#count = 4;
        } else if (ESCAPES.has(b)) this.#state = STRING;
        else this.#fail(b, i, 'an escape (one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
        return i + 1;
      case UNICODE_ESCAPE:
        if (!isHex(b)) this.#fail(b, i, "a hex digit");
        if (--this.#count === 0) this.#state = STRING;
        return i + 1;
      case UTF8_TAIL:
        if (b < this.#low || b > this.#high) this.#badUtf8(i);
        this.#low = 0x80;
        this.#high = 0xbf;
        if (--this.#count === 0) this.#state = STRING;
        return i + 1;
      case LITERAL:
        if (b !== this.#literal[this.#count]) this.#fail(b, i);
        if (++this.#count === this.#literal.length) this.#state = AFTER;
        return i + 1;
      default:
        return this.#number(b, i);
    }
  }

  #value(b: number, i: number): number {
    if (isSpace(b)) return i + 1;
    if (b === 0x5d && this.#state === ARRAY_FIRST) return this.#close(IN_ARRAY, i);
    if (b === 0x5b || b === 0x7b) {
      this.#open(b === 0x5b ? IN_ARRAY : IN_OBJECT, i);
      this.#state = b === 0x5b ? ARRAY_FIRST : OBJECT_FIRST;
    } else if (b === 0x22) {
      this.#inKey = false;
      this.#state = STRING;
    } else if (b === 0x2d) this.#state = MINUS;
    else if (isDigit(b)) {
      this.#state = b === 0x30 ? ZERO : INTEGER;
      this.#count = 1;
    } else if (LITERALS[b]) {
      this.#literal = LITERALS[b];
      this.#count = 1;
      this.#state = LITERAL;
    } else this.#fail(b, i, "a value");
    return i + 1;
  }

  #after(b: number, i: number): number {
    if (isSpace(b)) return i + 1;
    if (this.#depth === 0) this.#fail(b, i, "the end of the body");
    const top = this.#stack[this.#depth - 1];
    if (b === 0x2c) {
      this.#state = top === IN_ARRAY ? VALUE : KEY;
      return i + 1;
    }
    if (b === 0x5d && top === IN_ARRAY) return this.#close(IN_ARRAY, i);
    if (b === 0x7d && top === IN_OBJECT) return this.#close(IN_OBJECT, i);
    return this.#fail(b, i, top === IN_ARRAY ? "',' or ']'" : "',' or '}'");
  }

  #open(kind: number, i: number): void {
    if (this.#depth === this.#limits.maxDepth) {
      const at = this.#offset + i;
      throw new JsonScanError(
        "depth",
        `it nests deeper than the limit of ${this.#limits.maxDepth} levels (level ${this.#depth + 1} opens at byte ${at})`,
        at,
      );
    }
    this.#stack[this.#depth++] = kind;
  }

  #close(kind: number, i: number): number {
    if (this.#depth === 0 || this.#stack[this.#depth - 1] !== kind) this.#fail(kind === IN_ARRAY ? 0x5d : 0x7d, i);
    this.#depth--;
    this.#state = AFTER;
    return i + 1;
  }

  /** The body of a string, up to the next byte that is not plain printable ASCII. */
  #string(chunk: Uint8Array, i: number, n: number): number {
    let b = 0;
    while (i < n) {
      b = chunk[i]!;
      if (b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x80) break;
      i++;
    }
    if (i === n) return n;
    if (b === 0x22) this.#state = this.#inKey ? COLON : AFTER;
    else if (b === 0x5c) this.#state = ESCAPE;
    else if (b < 0x20) this.#fail(b, i, "a printable character (control characters must be escaped in strings)");
    else this.#utf8Lead(b, i);
    return i + 1;
  }

  /** Sets up the continuation bytes a UTF-8 lead byte needs (no overlongs, surrogates, or > U+10FFFF). */
  #utf8Lead(b: number, i: number): void {
    this.#low = 0x80;
    this.#high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) this.#count = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.#count = 2;
      if (b === 0xe0) this.#low = 0xa0;
      if (b === 0xed) this.#high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.#count = 3;
      if (b === 0xf0) this.#low = 0x90;
      if (b === 0xf4) this.#high = 0x8f;
    } else this.#badUtf8(i);
    this.#state = UTF8_TAIL;
  }

  #number(b: number, i: number): number {
    const digit = isDigit(b);
    switch (this.#state) {
      case MINUS:
        if (!digit) this.#fail(b, i, "a digit");
        this.#state = b === 0x30 ? ZERO : INTEGER;
        this.#count = 1;
        return i + 1;
      case INTEGER:
        if (digit) {
          this.#count++;
          return i + 1;
        }
      // falls through: what may follow an integer may follow a zero
      case ZERO:
        if (b === 0x2e) this.#state = DOT;
        else if (b === 0x65 || b === 0x45) this.#state = EXP_MARK;
        else return this.#endNumber(this.#offset + i, i);
        return i + 1;
      case DOT:
        if (!digit) this.#fail(b, i, "a digit after '.'");
        this.#state = FRACTION;
        return i + 1;
      case FRACTION:
        if (digit) return i + 1;
        if (b !== 0x65 && b !== 0x45) return this.#endNumber(this.#offset + i, i);
        this.#state = EXP_MARK;
        return i + 1;
      case EXP_MARK:
        if (b === 0x2b || b === 0x2d) {
          this.#state = EXP_SIGN;
          return i + 1;
        }
      // falls through: a digit may follow the `e` directly
      case EXP_SIGN:
        if (!digit) this.#fail(b, i, "a digit in the exponent");
        this.#state = EXPONENT;
        return i + 1;
      default: // EXPONENT
        if (digit) return i + 1;
        return this.#endNumber(this.#offset + i, i);
    }
  }

  /** A number ended just before `at`; the byte there (if any) is read again as what follows a value. */
  #endNumber(at: number, i = 0): number {
    const max = this.#limits.maxIntegerDigits;
    if ((this.#state === INTEGER || this.#state === ZERO) && this.#count > max) {
      throw new JsonScanError(
        "integer",
        `an integer of ${this.#count} digits ends at byte ${at}; the runtime parses integers of at most ${max} digits (send it as a string)`,
        at,
      );
    }
    this.#state = AFTER;
    return i;
  }

  #badUtf8(i: number): never {
    const at = this.#offset + i;
    throw new JsonScanError("utf8", `invalid UTF-8 at byte ${at}`, at);
  }

  #fail(b: number, i: number, expected?: string): never {
    const at = this.#offset + i;
    const what = b >= 0x21 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, "0")}`;
    throw new JsonScanError(
      "syntax",
      `unexpected ${what} at byte ${at}${expected ? `, expected ${expected}` : ""}`,
      at,
    );
  }
}
