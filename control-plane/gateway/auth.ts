import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { GliaError } from "../errors.ts";
import { RequestRejectedError } from "./errors.ts";

/** The request carries no valid API key (the public listener requires one). */
export class UnauthorizedError extends RequestRejectedError {
  constructor(message: string) {
    super("UNAUTHORIZED", 401, message);
  }
}

/** The key file cannot be read or has a line glia does not understand. */
export class ApiKeyFileError extends GliaError {
  constructor(message: string) {
    super("API_KEYS_INVALID", message);
  }
}

/**
 * API keys for the public listener. Each key opens every API, or one API when written
 * `<api>:<key>`. Keys are kept only as SHA-256 digests and compared in constant time.
 */
export class ApiKeys {
  readonly #all: Buffer[];
  readonly #byApi: Map<string, Buffer[]>;

  constructor(entries: Array<{ api: string | null; key: string }>) {
    this.#all = entries.filter((e) => e.api === null).map((e) => digest(e.key));
    this.#byApi = new Map();
    for (const e of entries.filter((x) => x.api !== null)) {
      this.#byApi.set(e.api!, [...(this.#byApi.get(e.api!) ?? []), digest(e.key)]);
    }
  }

  /**
   * Reads keys: one per line in `file` (`#` comments and blank lines skipped), plus the
   * comma-separated `GLIA_API_KEYS`. Returns null when there are none: the listener is open.
   */
  static async load(file: string | undefined, fromEnv: string | undefined): Promise<ApiKeys | null> {
    const lines = [...(fromEnv ?? "").split(","), ...(file ? (await readKeyFile(file)).split("\n") : [])];
    const entries = lines
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map(parseLine);
    return entries.length ? new ApiKeys(entries) : null;
  }

  /** Throws {@link UnauthorizedError} unless `authorization` holds a key that opens `api`. */
  check(api: string, authorization: string | undefined): void {
    const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!presented) throw new UnauthorizedError("this API needs a key: send Authorization: Bearer <key>");
    const d = digest(presented);
    const allowed = [...this.#all, ...(this.#byApi.get(api) ?? [])];
    // Compare against every key, so the time taken says nothing about which one came close.
    const matches = allowed.reduce((found, k) => timingSafeEqual(k, d) || found, false);
    if (!matches) throw new UnauthorizedError(`the key is not valid for ${api}`);
  }
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

function parseLine(line: string): { api: string | null; key: string } {
  const m = /^([a-z]([-a-z0-9]*[a-z0-9])?):(.+)$/.exec(line);
  return m ? { api: m[1]!, key: m[3]! } : { api: null, key: line };
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ApiKeyFileError(`cannot read the API key file ${file}: ${(err as Error).message}`);
  }
}
