import { durationToSeconds, parseDuration } from "../config/index.ts";

/** A command line that cannot be carried out as typed. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, got ${text}`);
  return value;
}

export function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} must be a whole number of at least 1, got ${text}`);
  return value;
}

/** Human-facing lines go to stderr; stdout carries the JSON log. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${flag} must be a whole number from 0 to 65535, got ${text}`);
  return port;
}

/** `--result-ttl`: a duration like `168h`, `90m`, or whole days like `7d`. */
export function parseTtl(text: string): number {
  const days = /^(\d+)d$/.exec(text);
  const nanos = days ? BigInt(days[1]!) * 86_400n * 1_000_000_000n : parseDuration(text);
  if (nanos === null || nanos < 1_000_000_000n)
    throw new UsageError(`--result-ttl must be a duration of at least 1s, like 7d, 168h or 30m; got ${text}`);
  return durationToSeconds(nanos) * 1000;
}
