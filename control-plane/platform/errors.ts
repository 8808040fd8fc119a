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

/** A project bundle holding what a bundle `glia deploy` made never holds (links, devices, paths leaving it). */
export class BundleContentError extends GliaError {
  readonly bundle: string;

  constructor(bundle: string, refused: readonly string[]) {
    super(
      "BUNDLE_REFUSED",
      `the project bundle ${bundle} is refused, nothing of it was unpacked: ${refused.slice(0, 5).join("; ")}` +
        `${refused.length > 5 ? ` (and ${refused.length - 5} more)` : ""}; deploy the project again with \`glia deploy\``,
    );
    this.bundle = bundle;
  }
}

/** A deployed API's file path that resolves (following links) outside its unpacked bundle. */
export class BundlePathError extends GliaError {
  constructor(message: string) {
    super("BUNDLE_PATH_OUTSIDE", message);
  }
}
