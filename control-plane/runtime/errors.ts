import { GliaError } from "../errors.ts";

/** The runtime process is not there or dropped the call (crash, restart, socket gone). */
export class RuntimeUnavailableError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RUNTIME_UNAVAILABLE", message, options);
  }
}

/** The call ran past its deadline; the handler may still be running in the runtime. */
export class RuntimeTimeoutError extends GliaError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super("RUNTIME_TIMEOUT", `the handler did not finish within ${timeoutMs / 1000} s`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The runtime could not load the handler (import error, bad signature, `__init__` raised). */
export class HandlerLoadError extends GliaError {
  readonly api: string;
  readonly detail: string;

  constructor(api: string, detail: string, options?: { cause?: unknown }) {
    super("HANDLER_LOAD_FAILED", `API ${api}: the handler could not be loaded: ${detail}`, options);
    this.api = api;
    this.detail = detail;
  }
}

/** The Python environment for a project could not be built. */
export class EnvironmentBuildError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENVIRONMENT_BUILD_FAILED", message, options);
  }
}

/** A model given as an `s3://` URL in `handler.models` could not be fetched into the local cache. */
export class ModelFetchError extends GliaError {
  /** The field of `cortex.yaml`, e.g. `handler.models.paths[1].path`. */
  readonly field: string;
  readonly url: string;

  constructor(field: string, url: string, problem: string, options?: { cause?: unknown }) {
    super("MODEL_FETCH_FAILED", `${field}: could not fetch ${url}: ${problem}`, options);
    this.field = field;
    this.url = url;
  }
}
