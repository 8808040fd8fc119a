import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { GliaError } from "../errors.ts";
import { isApiName } from "../jobs/index.ts";
import { RequestRejectedError } from "./errors.ts";

/** Fewest characters a key may have: 16 random hex characters are 64 bits, out of reach of guessing over HTTP. */
export const MIN_KEY_LENGTH = 16;

/** Printable ASCII except `:` (it ends an `<api>:` prefix) and `,` (it separates GLIA_API_KEYS entries). */
const KEY = /^[\x21-\x2b\x2d-\x39\x3b-\x7e]+$/;

/** How to make a key that passes every rule, quoted in the messages. */
const MAKE_ONE = "make one with `openssl rand -hex 32`";

/** The request carries no key that opens what it asks for (the public listener requires one). */
export class UnauthorizedError extends RequestRejectedError {
  constructor(message: string) {
    super("UNAUTHORIZED", 401, message);
  }
}

/** The key file cannot be read, or has lines that are not keys. Messages name lines, never keys. */
export class ApiKeyFileError extends GliaError {
  constructor(message: string) {
    super("API_KEYS_INVALID", message);
  }
}

interface KeyEntry {
  /** The one API the key opens, or null for every API. */
  api: string | null;
  digest: Buffer;
}

/**
 * API keys for the public listener. Each key opens every API, or one API when written
 * `<api>:<key>`. Keys are kept only as SHA-256 digests and compared in constant time.
 *
 * A refusal never depends on whether the path names a deployed API, so a client without a key
 * cannot list the endpoints: {@link ApiKeys.check} takes `null` for a path that names none.
 */
export class ApiKeys {
  readonly #entries: readonly KeyEntry[];

  /** Entries checked by {@link ApiKeys.load}. */
  private constructor(entries: Array<{ api: string | null; key: string }>) {
    this.#entries = entries.map((e) => ({ api: e.api, digest: digest(e.key) }));
  }

  /**
   * Reads keys: one per line in `file` (`#` comments and blank lines skipped), plus the
   * comma-separated `GLIA_API_KEYS`. Each is `<key>` (opens every API) or `<api>:<key>` (opens
   * that API only); a key is at least {@link MIN_KEY_LENGTH} printable ASCII characters other
   * than `:` and `,`. Returns null when there are none: the listener is open.
   * @throws {ApiKeyFileError} naming the file and line (never the key) of every invalid entry,
   * or when `file` holds no key at all (the listener would be open without anyone asking).
   */
  static async load(file: string | undefined, fromEnv: string | undefined): Promise<ApiKeys | null> {
    const env = parseEntries((fromEnv ?? "").split(","), (n) => `GLIA_API_KEYS entry ${n}`);
    const listed =
      file === undefined ? null : parseEntries((await readKeyFile(file)).split("\n"), (n) => `${file} line ${n}`);
    const problems = [...env.problems, ...(listed?.problems ?? [])];
    if (problems.length)
      throw new ApiKeyFileError(`invalid API keys (fix or remove them):\n  ${problems.join("\n  ")}`);
    if (listed?.entries.length === 0)
      throw new ApiKeyFileError(`the API key file ${file} holds no key; add one a line (${MAKE_ONE})`);
    const entries = [...env.entries, ...(listed?.entries ?? [])];
    return entries.length ? new ApiKeys(entries) : null;
  }

  /**
   * Throws {@link UnauthorizedError} unless `authorization` holds a key that opens `api`; `api`
   * is null when the path names no API, which only a key for every API may learn (it then gets
   * its 404). The answer depends on the key alone, never on which APIs exist.
   */
  check(api: string | null, authorization: string | undefined): void {
    const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!presented) throw new UnauthorizedError("an API key is needed: send Authorization: Bearer <key>");
    const d = digest(presented);
    // Compare against every key, so the time taken says nothing about which one came close.
    const matching = this.#entries.filter((e) => timingSafeEqual(e.digest, d));
    if (matching.some((e) => e.api === null || e.api === api)) return;
    if (matching.length === 0) throw new UnauthorizedError("the API key is not valid");
    throw new UnauthorizedError("the API key does not open this path");
  }
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/** The entries of `lines` (`#` comments and blank lines skipped), and what is wrong with them. */
function parseEntries(
  lines: string[],
  where: (lineNumber: number) => string,
): { entries: Array<{ api: string | null; key: string }>; problems: string[] } {
  const entries: Array<{ api: string | null; key: string }> = [];
  const problems: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const entry = parseLine(line);
    problems.push(...problemsOf(entry.api, entry.key).map((p) => `${where(i + 1)}: ${p}`));
    entries.push(entry);
  });
  return { entries, problems };
}

/** `<api>:<key>` when the line holds a `:` (keys never do), else a key for every API. */
function parseLine(line: string): { api: string | null; key: string } {
  const colon = line.indexOf(":");
  return colon < 0 ? { api: null, key: line } : { api: line.slice(0, colon), key: line.slice(colon + 1) };
}

/** What is wrong with an entry, in words that never repeat any part of it (it may be a secret). */
function problemsOf(api: string | null, key: string): string[] {
  const problems: string[] = [];
  if (api !== null && !isApiName(api)) {
    problems.push(
      "the part before the first `:` is not an API name (lower-case letters, digits and dashes, starting with a " +
        "letter, as `name` in cortex.yaml); write `<api>:<key>` with the API's name, or the key alone to open " +
        "every API (keys never contain `:`)",
    );
  }
  if (key === "") problems.push("no key after `<api>:`");
  else if (!KEY.test(key))
    problems.push(`the key holds a space, \`:\`, \`,\` or a non-ASCII character, which keys may not (${MAKE_ONE})`);
  else if (key.length < MIN_KEY_LENGTH)
    problems.push(`the key is shorter than ${MIN_KEY_LENGTH} characters, too easy to guess (${MAKE_ONE})`);
  return problems;
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ApiKeyFileError(`cannot read the API key file ${file}: ${(err as Error).message}`);
  }
}
