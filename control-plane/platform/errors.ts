import { GliaError } from "../errors.ts";

/** nats-server is missing, failed to start, or NATS could not be reached. */
export class NatsStartError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NATS_START_FAILED", message, options);
  }
}

/** Two projects given to one platform clash (same API name or endpoint). */
export class PlatformConfigError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PLATFORM_CONFIG_INVALID", message, options);
  }
}

/** A `glia worker` process could not start (its handler did not load, NATS was unreachable…). */
export class WorkerStartError extends GliaError {
  readonly api: string;

  constructor(api: string, code: string, message: string) {
    super(code, message);
    this.api = api;
  }
}
