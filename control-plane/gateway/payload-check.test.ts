import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkPayload } from "./payload-check.ts";
import { PayloadError } from "./errors.ts";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("payload checks at submit", () => {
  const accepted: Array<[string | undefined, Uint8Array]> = [
    ["application/json", text('{"key": "value"}')],
    ["Application/JSON; charset=utf-8", text("[1, 2]")],
    ["text/plain", text("hello world")],
    ["text/plain; charset=us-ascii", text("hello")],
    ["text/plain; charset=iso-8859-1", bytes(0x63, 0x61, 0x66, 0xe9)],
    ["text/plain; charset=shift_jis", bytes(0x82, 0xa0)],
    ["application/octet-stream", bytes(0x80, 0xff, 0x00)],
    ["image/png", bytes(0x89, 0x50)],
    ["application/jsonl", text("{not json")], // not application/json: opaque bytes
    [undefined, bytes(0xff)],
    ["", bytes(0xff)],
  ];
  for (const [type, body] of accepted) {
    it(`accepts ${type === undefined ? "no content type" : JSON.stringify(type)}`, () => {
      assert.doesNotThrow(() => checkPayload(type, body));
    });
  }

  const refused: Array<[string, Uint8Array, RegExp]> = [
    ["application/json", text("{not json"), /not valid JSON/],
    ["application/json", text(""), /not valid JSON/],
    ["application/json", text("NaN"), /not valid JSON/],
    ["application/json", bytes(0x22, 0xff, 0x22), /not valid UTF-8/],
    ["text/plain", bytes(0xff, 0xfe, 0xfd), /utf-8/],
    ["text/plain; charset=klingon", text("x"), /unknown charset "klingon"/],
    ["text/plain; charset=us-ascii", bytes(0xe9), /bytes outside us-ascii/],
  ];
  for (const [type, body, message] of refused) {
    it(`refuses ${JSON.stringify(type)} with ${message}`, () => {
      assert.throws(
        () => checkPayload(type, body),
        (err: unknown) => err instanceof PayloadError && message.test(err.message) && err.status === 400,
      );
    });
  }
});
