/**
 * @module
 * Go-style durations as Cortex wrote them: `60s`, `5m`, `1h30m`, `1.5h`, `250ms`, `0`.
 */

const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const TERM = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a duration into nanoseconds, following Go's `time.ParseDuration`; null when `text` is not
 * a duration. A bare number other than `0` needs a unit.
 * @example parseDuration("1h30m") // 5_400_000_000_000n
 */
export function parseDuration(text: string): bigint | null {
  const negative = text.startsWith("-");
  const body = /^[+-]/.test(text) ? text.slice(1) : text;
  if (body === "0") return 0n;
  if (body === "") return null;
  const total = sumTerms(body);
  if (total === null) return null;
  return negative ? -total : total;
}

function sumTerms(body: string): bigint | null {
  let total = 0n;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < body.length) {
    const match = TERM.exec(body);
    if (match === null) return null;
    const [, whole = "", fraction, unit = ""] = match;
    if (whole === "" && !fraction) return null;
    total += termNanos(whole, fraction ?? "", NANOS_PER_UNIT[unit] ?? 0n);
  }
  return total;
}

function termNanos(whole: string, fraction: string, unit: bigint): bigint {
  const wholeNanos = BigInt(whole || "0") * unit;
  if (fraction === "") return wholeNanos;
  return wholeNanos + (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
}

/** Nanoseconds as (possibly fractional) seconds. */
export function durationToSeconds(nanos: bigint): number {
  return Number(nanos) / 1e9;
}
