import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { JsonScanError, JsonScanner, type JsonProblem } from "./json-scan.ts";

const LIMITS = { maxDepth: 64, maxIntegerDigits: 4300 };

/** Scans `body` cut into chunks of `chunk` bytes; the problem found, or null when it is JSON. */
function scan(body: Uint8Array, chunk = body.length || 1, limits = LIMITS): JsonScanError | null {
  const scanner = new JsonScanner(limits);
  try {
    for (let i = 0; i < body.length; i += chunk) scanner.write(body.subarray(i, i + chunk));
    scanner.end();
    return null;
  } catch (err) {
    if (err instanceof JsonScanError) return err;
    throw err;
  }
}

function parses(body: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    return true;
  } catch {
    return false;
  }
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8");

describe("JsonScanner", () => {
  const valid = [
    "0",
    "-0",
    "-0.0e+0",
    "1E5",
    "12.5e-3",
    '""',
    '"\\u00e9\\"\\\\\\/\\b\\f\\n\\r\\t"',
    '"é 𝄞 \u{10ffff}"',
    " \t\r\n[ ] ",
    "{}",
    '{"a":[1,{"b":null}],"c":true,"d":false}',
    "\ufeff[1]",
  ];
  for (const text of valid) {
    it(`takes ${JSON.stringify(text)}`, () => assert.equal(scan(utf8(text))?.message, undefined));
  }

  const invalid: Array<[string | Uint8Array, JsonProblem, RegExp]> = [
    ["", "syntax", /unexpected end of the body at byte 0/],
    ["   ", "syntax", /end of the body/],
    ["NaN", "syntax", /unexpected 'N' at byte 0, expected a value/],
    ["[1,]", "syntax", /unexpected '\]' at byte 3/],
    ["[1 2]", "syntax", /expected ',' or '\]'/],
    ['{"a" 1}', "syntax", /expected ':'/],
    ["{1:2}", "syntax", /expected a string key/],
    ["[}", "syntax", /unexpected '}'/],
    ["01", "syntax", /unexpected '1' at byte 1, expected the end of the body/],
    ["1.", "syntax", /end of the body/],
    ["1.e3", "syntax", /a digit after '\.'/],
    ["-", "syntax", /end of the body/],
    ["1e", "syntax", /end of the body/],
    ["tru", "syntax", /end of the body/],
    ["trUe", "syntax", /unexpected 'U'/],
    ['"a\tb"', "syntax", /control characters must be escaped/],
    ['"\\x"', "syntax", /an escape/],
    ['"\\u12g4"', "syntax", /a hex digit/],
    ['"abc', "syntax", /end of the body/],
    ["[1] [2]", "syntax", /expected the end of the body/],
    ["\ufeff\ufeff1", "syntax", /byte 0xef at byte 3/],
    [Uint8Array.of(0x22, 0xff, 0x22), "utf8", /invalid UTF-8 at byte 1/],
    [Uint8Array.of(0x22, 0xc0, 0x80, 0x22), "utf8", /byte 1/], // overlong
    [Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22), "utf8", /byte 2/], // a surrogate
    [Uint8Array.of(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22), "utf8", /byte 2/], // past U+10FFFF
    [Uint8Array.of(0x22, 0xe2, 0x82, 0x22), "utf8", /byte 3/], // cut short
    ["[".repeat(65) + "]".repeat(65), "depth", /deeper than the limit of 64 levels \(level 65 opens at byte 64\)/],
    ["1".repeat(4301), "integer", /an integer of 4301 digits ends at byte 4301/],
    ["[-" + "1".repeat(4301) + "]", "integer", /4301 digits/],
  ];
  for (const [text, problem, message] of invalid) {
    it(`refuses ${JSON.stringify(typeof text === "string" ? text.slice(0, 20) : [...text])} (${problem})`, () => {
      const err = scan(typeof text === "string" ? utf8(text) : text);
      assert.equal(err?.problem, problem, err?.message);
      assert.match(err.message, message);
    });
  }

  it("takes 64 levels and integers of 4300 digits, or longer with a fraction or exponent", () => {
    assert.equal(scan(utf8("[".repeat(64) + "]".repeat(64))), null);
    assert.equal(scan(utf8("{" + '"a":{'.repeat(63) + "}".repeat(64))), null);
    assert.equal(scan(utf8("-" + "9".repeat(4300))), null);
    assert.equal(scan(utf8("9".repeat(5000) + ".5")), null);
    assert.equal(scan(utf8("9".repeat(5000) + "e1")), null);
  });

  it("stops at the first level past the limit without reading the rest", () => {
    const body = Buffer.alloc(8 * 1024 * 1024, "[");
    const started = performance.now();
    const err = scan(body, body.length, { maxDepth: 512, maxIntegerDigits: 4300 });
    assert.equal(err?.problem, "depth");
    assert.equal(err.offset, 512);
    console.log(`8 MiB of '[' refused in ${(performance.now() - started).toFixed(2)} ms`);
  });

  it("agrees with JSON.parse on arbitrary JSON and its mutations, however the input is cut", () => {
    const mutated = fc
      .tuple(fc.json({ maxDepth: 6 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 7 }))
      .map(([json, at, byte, chunk]) => {
        const body = utf8(json);
        const copy = Uint8Array.from(body);
        if (copy.length > 0) copy[at % copy.length] = byte;
        return { body, copy, chunk };
      });
    fc.assert(
      fc.property(mutated, ({ body, copy, chunk }) => {
        assert.equal(scan(body, chunk), null, Buffer.from(body).toString());
        const err = scan(copy, chunk);
        assert.equal(err === null, parses(copy), `${Buffer.from(copy).toString("hex")}: ${err?.message}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with JSON.parse on short byte strings from the JSON alphabet", () => {
    const alphabet = [...'[]{}:,"\\ 0123456789-+.eEtrufalsn\u00e9'].flatMap((ch) => [...utf8(ch)]);
    const bytes = fc.array(fc.constantFrom(...alphabet, 0x0a, 0x00, 0xff, 0xc3), { maxLength: 12 });
    fc.assert(
      fc.property(bytes, (list) => {
        const body = Uint8Array.from(list);
        const err = scan(body, 1);
        assert.equal(err === null, parses(body), `${Buffer.from(body).toString("hex")}: ${err?.message}`);
      }),
      { numRuns: 50_000 },
    );
  });
});
