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
