import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { durationToSeconds, parseDuration } from "./duration.ts";

const T = { timeout: 10_000 };
const SECOND = 1_000_000_000n;

describe("parseDuration", () => {
  test("reads Go durations", T, () => {
    const cases: [string, bigint][] = [
      ["60s", 60n * SECOND],
      ["5m", 300n * SECOND],
      ["1h", 3600n * SECOND],
      ["1h30m", 5400n * SECOND],
      ["1.5h", 5400n * SECOND],
      ["1m30s", 90n * SECOND],
      ["250ms", SECOND / 4n],
      ["1us", 1000n],
      ["1µs", 1000n],
      ["1μs", 1000n],
      ["7ns", 7n],
      ["0", 0n],
      ["0s", 0n],
      ["-1m", -60n * SECOND],
      ["+5s", 5n * SECOND],
      [".5s", SECOND / 2n],
      ["1.s", SECOND],
      ["1h0m0s", 3600n * SECOND],
    ];
    for (const [text, nanos] of cases) assert.equal(parseDuration(text), nanos, text);
  });

  test("refuses what Go refuses", T, () => {
    for (const text of ["", "5", "1x", "s", ".s", "1h 30m", "1.5", "-", "1d", "m5", " 5s"]) {
      assert.equal(parseDuration(text), null, text);
    }
  });
});

describe("durationToSeconds", () => {
  test("gives fractional seconds", T, () => {
    assert.equal(durationToSeconds(5400n * SECOND), 5400);
    assert.equal(durationToSeconds(SECOND / 4n), 0.25);
  });
});
