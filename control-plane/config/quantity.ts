/**
 * @module
 * Kubernetes resource quantities (`200m`, `1.5`, `20Mi`, `1G`, `1e3`), kept as exact fractions so
 * that `20m` and `0.02` compare equal.
 */

/** A parsed quantity: `num / den` in base units (cores for CPU, bytes for memory). */
export interface Quantity {
  /** The text as written. */
  readonly text: string;
  readonly num: bigint;
  /** Always positive. */
  readonly den: bigint;
}

const QUANTITY = /^([+-]?)(\d+)?(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const BINARY_POWERS: Record<string, bigint> = {
  Ki: 10n,
  Mi: 20n,
  Gi: 30n,
  Ti: 40n,
  Pi: 50n,
  Ei: 60n,
};
const DECIMAL_EXPONENTS: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
/** Exponents beyond this are refused rather than turned into enormous integers. */
const MAX_EXPONENT = 100;

/**
 * Parses a quantity the way Kubernetes does; null when `text` is not one.
 * @example parseQuantity("1.5Gi") // { text: "1.5Gi", num: 3221225472n, den: 1n } (up to scaling)
 */
export function parseQuantity(text: string): Quantity | null {
  const match = QUANTITY.exec(text);
  if (match === null) return null;
  const [, sign = "", whole = "", fraction = "", suffix = ""] = match;
  if (whole === "" && fraction === "") return null;
  const exponent = suffixExponent(suffix);
  if (Math.abs(exponent) > MAX_EXPONENT) return null;
  const digits = BigInt(whole + fraction) * (sign === "-" ? -1n : 1n);
  const scale = 10n ** BigInt(fraction.length);
  const binary = 2n ** (BINARY_POWERS[suffix] ?? 0n);
  const ten = 10n ** BigInt(Math.abs(exponent));
  if (exponent >= 0) return { text, num: digits * binary * ten, den: scale };
  return { text, num: digits * binary, den: scale * ten };
}

function suffixExponent(suffix: string): number {
  if (/^[eE][+-]?\d+$/.test(suffix)) return Number(suffix.slice(1));
  return DECIMAL_EXPONENTS[suffix] ?? 0;
}

/** Orders two quantities: negative when `a < b`, zero when equal, positive when `a > b`. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const difference = a.num * b.den - b.num * a.den;
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

/** The quantity as a (possibly rounded) JavaScript number, e.g. `0.2` for `200m`. */
export function quantityToNumber(quantity: Quantity): number {
  return Number(quantity.num) / Number(quantity.den);
}
