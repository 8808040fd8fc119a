import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { GliaError } from "../errors.ts";

/** A `--cors-origin` value that is not an origin. */
export class CorsOriginError extends GliaError {
  constructor(message: string) {
    super("CORS_ORIGIN_INVALID", message);
  }
}

/**
 * The origins whose pages may read the public listener's answers, from `--cors-origin` values
 * (each one origin or a comma-separated list; `GLIA_CORS_ORIGINS` alike). `*` allows every origin.
 * @throws {CorsOriginError} naming every value that is not `scheme://host[:port]` or `*`.
 * @example parseCorsOrigins(["https://app.example.com,http://localhost:3000"])
 */
export function parseCorsOrigins(values: readonly string[]): string[] {
  const origins = values
    .flatMap((v) => v.split(","))
    .map((o) => o.trim())
    .filter(Boolean);
  const invalid = origins.filter((o) => o !== "*" && originOf(o) !== o);
  if (invalid.length) {
    const shown = invalid.map((o) => JSON.stringify(o)).join(", ");
    throw new CorsOriginError(
      `--cors-origin takes origins, scheme://host[:port] with no path or trailing slash (e.g. https://app.example.com), or *; got ${shown}`,
    );
  }
  return [...new Set(origins)];
}

function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * CORS for the public listener: pages from `origins` may call the APIs (with `Authorization`)
 * and read the answers; other origins get no CORS header at all, so browsers keep the answers
 * from them. No origin, the default, sends none to anyone.
 */
export function allowOrigins(origins: readonly string[]): MiddlewareHandler {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  const headers = cors({
    origin: any ? "*" : [...allowed],
    allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    exposeHeaders: ["Content-Length", "Retry-After", "WWW-Authenticate"],
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && (any || allowed.has(origin))) return headers(c, next);
    await next();
    // The answer differs by Origin once any is allowed: caches must not hand one origin's to another.
    if (allowed.size && !any) c.header("Vary", "Origin", { append: true });
  };
}
