import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareQuantities, parseQuantity, quantityToNumber } from "./quantity.ts";

const T = { timeout: 10_000 };

function value(text: string): number {
  const quantity = parseQuantity(text);
  assert.ok(quantity, `${text} should parse`);
  return quantityToNumber(quantity);
}

function compare(a: string, b: string): number {
  const left = parseQuantity(a);
  const right = parseQuantity(b);
  assert.ok(left && right);
  return compareQuantities(left, right);
}

describe("parseQuantity", () => {
  test("reads decimal and binary suffixes", T, () => {
    const cases: [string, number][] = [
      ["200m", 0.2],
      ["1", 1],
      ["1.5", 1.5],
      [".5", 0.5],
      ["1.", 1],
      ["+2", 2],
      ["-1", -1],
      ["20Mi", 20 * 2 ** 20],
      ["1Ki", 1024],
      ["1.5Gi", 1.5 * 2 ** 30],
      ["1Ti", 2 ** 40],
      ["1Ei", 2 ** 60],
      ["1k", 1e3],
      ["1M", 1e6],
      ["1G", 1e9],
      ["2T", 2e12],
      ["1P", 1e15],
      ["1E", 1e18],
      ["100u", 1e-4],
      ["5n", 5e-9],
      ["1e3", 1e3],
      ["1E3", 1e3],
      ["25e-1", 2.5],
      ["1e+2", 100],
    ];
    for (const [text, expected] of cases) assert.equal(value(text), expected, text);
  });

  test("keeps the text as written", T, () => {
    assert.equal(parseQuantity("1.5Gi")?.text, "1.5Gi");
  });

  test("refuses what Kubernetes refuses", T, () => {
    for (const text of ["", ".", "Mi", "1 Gi", "1mi", "1KI", "1e", "1.5.5", "1Gb", "one", "1e1000", "--1"]) {
      assert.equal(parseQuantity(text), null, text);
    }
  });
});

describe("compareQuantities", () => {
  test("compares exactly across units", T, () => {
    assert.equal(compare("20m", "0.02"), 0);
    assert.equal(compare("1.5", "1500m"), 0);
    assert.equal(compare("1e3", "1k"), 0);
    assert.equal(compare("1024Mi", "1Gi"), 0);
    assert.equal(compare("1Gi", "1G"), 1);
    assert.equal(compare("500Mi", "1Gi"), -1);
    assert.equal(compare("19m", "20m"), -1);
    assert.equal(compare("-1", "0"), -1);
  });
});
