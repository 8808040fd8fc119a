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
    ["text/plain; charset=windows-1252", bytes(0x80, 0x9f)],
    ["text/plain; charset=UTF_16", bytes(0xfe, 0xff, 0xd8, 0x3d, 0xde, 0x00)],
    ["text/plain; charset=utf-32-be", bytes(0, 0x10, 0xff, 0xff)],
    ['text/plain; charset="latin-1"', bytes(0x81, 0xff)],
    ["text/plain; charset=utf-8; charset=klingon", text("the first charset wins, as in the runtime")],
    ["application/json", text("\ufeff[1]")],
    ["application/json", text("[".repeat(512) + "]".repeat(512))],
    ["application/octet-stream", bytes(0x80, 0xff, 0x00)],
    ["image/png", bytes(0x89, 0x50)],
    ["application/jsonl", text("{not json")], // not application/json: opaque bytes
    [undefined, bytes(0xff)],
    ["", bytes(0xff)],
  ];
  for (const [type, body] of accepted) {
    it(`accepts ${type === undefined ? "no content type" : JSON.stringify(type)}`, async () => {
      await checkPayload(type, body);
    });
  }

  const refused: Array<[string, Uint8Array, RegExp]> = [
    ["application/json", text("{not json"), /not valid JSON/],
    ["application/json", text(""), /not valid JSON/],
    ["application/json", text("NaN"), /not valid JSON/],
    ["application/json", bytes(0x22, 0xff, 0x22), /not valid UTF-8/],
    ["text/plain", bytes(0xff, 0xfe, 0xfd), /utf-8/],
    ["text/plain; charset=klingon", text("x"), /unknown charset "klingon"/],
    ["text/plain; charset=us-ascii", bytes(0xe9), /byte 0xe9 at offset 0 is not defined in ascii/],
    ["text/plain; charset=windows-1252", bytes(0x61, 0x81), /byte 0x81 at offset 1 is not defined in cp1252/],
    ["text/plain; charset=utf-16", bytes(0x00, 0xdc), /not valid utf_16_le/],
    ["text/plain; charset=utf-32", bytes(0, 0, 0x11, 0), /not a Unicode scalar value/],
    ["text/plain; charset=euc-kr", bytes(0xb0, 0xa1), /codec euc_kr\) is not taken/],
    ["text/plain; charset=base64", text("aGk="), /unknown charset "base64"/],
    [
      "application/json",
      text("[".repeat(513) + "]".repeat(513)),
      /nested too deeply: .*limit of 512 levels \(level 513 opens at byte 512\)/,
    ],
    ["application/json", text("1".repeat(4301)), /not valid JSON.*4301 digits/],
  ];
  for (const [type, body, message] of refused) {
    it(`refuses ${JSON.stringify(type)} with ${message}`, async () => {
      await assert.rejects(
        checkPayload(type, body),
        (err: unknown) => err instanceof PayloadError && message.test(err.message) && err.status === 400,
      );
    });
  }

  it("lets other work run while it checks a large body", async () => {
    const body = text("[" + "1,".repeat(8 * 1024 * 1024) + "1]");
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const started = performance.now();
    await checkPayload("application/json", body);
    clearInterval(ticker);
    console.log(
      `16 MiB of JSON checked in ${(performance.now() - started).toFixed(0)} ms, ${turns} timer turns ran meanwhile`,
    );
    assert.ok(turns > 0, "timers ran while the body was checked");
  });
});
