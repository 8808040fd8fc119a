import type { RequestRecord, StoredRecord } from "../jobs/index.ts";
import type { ApiRoute, RouteMatch } from "./routes.ts";

/**
 * What the gateway's apps depend on, each as small as the HTTP layer needs: the NATS-backed
 * classes satisfy them in a running platform (`platform/gateway-service.ts` wires them), and
 * `app.test.ts` drives the apps with in-memory ones.
 */

/** A request as the gateway hands it on: its body, its Content-Type, and the headers kept with it. */
export interface NewRequest {
  payload: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
}

/** Takes requests in for their workers ({@link QueueIntake} over NATS). */
export interface RequestIntake {
  /**
   * Stores a request so that a worker runs it, and returns its id once everything it needs is
   * stored: a GET right after must find it `in_queue`.
   * @throws {QueueFullError} the API's queue is full; nothing is left stored
   * @throws {StoreUnavailableError} NATS could not store it; nothing is left stored
   */
  submit(api: string, request: NewRequest): Promise<string>;
}

/** A stored result too large for its record: its size and its JSON, as it arrives. */
export interface LargeResult {
  size: number;
  data: ReadableStream<Uint8Array>;
}

/** Reads what a record points at (`ResultStore`); the records themselves come through {@link RecordWaiter}. */
export interface RecordReader {
  /** The JSON of a result kept apart from its record (`resultStored`); null for any other record. */
  largeResult(record: RequestRecord): Promise<LargeResult | null>;
}

/** Reads a request's record as it stands, or waits for it to end (`RecordWaiters`). */
export interface RecordWaiter {
  /** The record as it stands (what the records' watch delivered lately, else the store); null when there is none. */
  latest(api: string, id: string): Promise<StoredRecord | null>;
  /** The record once it is final, or as it stands after `timeoutMs`; null when there is none. */
  wait(api: string, id: string, timeoutMs: number): Promise<StoredRecord | null>;
}

/** The APIs served and their endpoints (`RouteTable`). */
export interface Routes {
  /** What a public path points at, or null. */
  match(path: string): RouteMatch | null;
  /** The route of an API by name (the internal listener routes by Host). */
  byApi(api: string): ApiRoute | undefined;
  /** Every route, e.g. for the queue-depth gauge. */
  readonly routes: readonly ApiRoute[];
}

/** How many requests wait in an API's queue (`WorkQueue`). */
export interface QueueDepth {
  pending(api: string): Promise<number>;
}
