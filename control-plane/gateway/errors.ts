import { GliaError } from "../errors.ts";

/** Base of the errors a client caused; each carries the HTTP status it is answered with. */
export class RequestRejectedError extends GliaError {
  readonly status: 400 | 401 | 404 | 405 | 413;

  constructor(code: string, status: 400 | 401 | 404 | 405 | 413, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** The body does not match its Content-Type (invalid JSON, undecodable text, unknown charset). */
export class PayloadError extends RequestRejectedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PAYLOAD_INVALID", 400, message, options);
  }
}

/** The body is larger than the gateway's limit. */
export class PayloadTooLargeError extends RequestRejectedError {
  constructor(limit: number) {
    super(
      "PAYLOAD_TOO_LARGE",
      413,
      `the request body is larger than the limit of ${limit} bytes (${formatBytes(limit)})`,
    );
  }
}

/** The client closed the connection before its body ended: nothing was stored, and no one reads the answer. */
export class BodyIncompleteError extends RequestRejectedError {
  constructor(options?: { cause?: unknown }) {
    super("BODY_INCOMPLETE", 400, "the connection closed before the request body ended", options);
  }
}

/**
 * Taking this body would pass the cap on bytes of request bodies held in memory at once: the
 * gateway is busy, not the client wrong; answered 503 with Retry-After, and nothing is stored.
 */
export class GatewayBusyError extends GliaError {
  constructor(capBytes: number) {
    super(
      "GATEWAY_BUSY",
      `the gateway is busy: the request bodies it holds would pass its limit of ${formatBytes(capBytes)} in memory; retry shortly`,
    );
  }
}

/** No API at that path, or no request with that id. */
export class NotFoundError extends RequestRejectedError {
  constructor(message: string) {
    super("NOT_FOUND", 404, message);
  }
}

/** The path exists but not for this method. */
export class MethodNotAllowedError extends RequestRejectedError {
  constructor(method: string, path: string, allowed: string) {
    super("METHOD_NOT_ALLOWED", 405, `${method} is not supported on ${path}; use ${allowed}`);
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
