import { GliaError } from "../errors.ts";

/** NATS refused or did not answer a write or read the request path depends on. */
export class StoreUnavailableError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_UNAVAILABLE", message, options);
  }
}

/** A record changed between read and write more often than the retry budget allows. */
export class RecordConflictError extends GliaError {
  constructor(key: string, options?: { cause?: unknown }) {
    super("RECORD_CONFLICT", `the record ${key} kept changing under concurrent writers`, options);
  }
}

/** A record would exceed the largest value NATS accepts (the server's max_payload). */
export class RecordTooLargeError extends GliaError {
  readonly bytes: number;
  readonly limit: number;

  constructor(key: string, bytes: number, limit: number) {
    super("RECORD_TOO_LARGE", `the record ${key} is ${bytes} bytes; the NATS server accepts at most ${limit}`);
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The API holds as many requests as its `glia.max_queued_requests` allows. */
export class QueueFullError extends GliaError {
  readonly api: string;

  constructor(api: string, options?: { cause?: unknown }) {
    super("QUEUE_FULL", `the queue of ${api} is full (glia.max_queued_requests); try again later`, options);
    this.api = api;
  }
}
