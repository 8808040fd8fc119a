import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.ts";
import {
  completed,
  failed,
  isFinal,
  newRecord,
  RecordTooLargeError,
  started,
  type QueuedRequest,
  type RequestError,
  type RequestPuller,
  type ResultStore,
  type StoredRecord,
  type WorkQueue,
} from "../jobs/index.ts";
import { RuntimeTimeoutError, type RuntimeLease, type RuntimePool } from "../runtime/index.ts";
import { outcomeOf, type Outcome } from "./outcome.ts";

/** Default deadline of one handler call: 1 hour. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3600_000;
/** Delay before a request whose runtime died is delivered again. */
const REDELIVERY_DELAY_MS = 1_000;
/** How long one pull waits for a request before it is renewed. */
const PULL_EXPIRES_MS = 2_000;

export interface WorkerOptions {
  api: string;
  queue: WorkQueue;
  store: ResultStore;
  pool: RuntimePool;
  logger: Logger;
  /** Deadline of one handler call; past it the runtime is killed and the request fails. @default 1 hour */
  requestTimeoutMs?: number;
}

/**
 * Pulls an API's requests and runs each on a free runtime: record `in_progress`, call the runtime,
 * record `completed`/`failed`, then acknowledge. A request whose runtime died is handed back to
 * the queue (not failed) until its last allowed delivery.
 */
export class ApiWorker {
  readonly #o: Required<WorkerOptions>;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #loops: Promise<void>[] = [];

  constructor(options: WorkerOptions) {
    this.#o = { ...options, requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS };
    this.#log = options.logger.child({ module: "worker", api: options.api });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Starts one pull loop per runtime replica. */
  async start(): Promise<void> {
    const puller = await this.#o.queue.puller(this.#o.api);
    this.#loops = Array.from({ length: this.#o.pool.size }, () => this.#loop(puller));
    this.#log.info({ replicas: this.#o.pool.size }, "worker started");
  }

  /** Stops pulling, then waits up to `graceMs` for running requests (after that they are redelivered). */
  async stop(graceMs: number): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#loops);
    this.#log.debug({ inFlight: this.#inFlight.size }, "worker stopped pulling");
    const grace = new AbortController();
    const drained = Promise.all(this.#inFlight).then(() => true);
    const expired = sleep(graceMs, false, { signal: grace.signal }).catch(() => false);
    const done = await Promise.race([drained, expired]);
    grace.abort();
    if (!done) this.#log.warn({ inFlight: this.#inFlight.size }, "requests still running at shutdown go back to the queue");
  }

  async #loop(puller: RequestPuller): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const lease = await this.#o.pool.acquire(signal).catch(() => null);
      if (!lease) return;
      const request = await puller.next(PULL_EXPIRES_MS).catch((err: unknown) => this.#pullFailed(err));
      if (!request) {
        lease.release();
        continue;
      }
      if (signal.aborted) {
        request.msg.nak();
        lease.release();
        return;
      }
      this.#track(this.#run(request, lease));
    }
  }

  async #pullFailed(err: unknown): Promise<null> {
    if (!this.#stop.signal.aborted) this.#log.warn({ err }, "pulling requests failed; retrying");
    await sleep(500);
    return null;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #run(request: QueuedRequest, lease: RuntimeLease): Promise<void> {
    const log = this.#log.child({ requestId: request.id, attempt: request.deliveryCount });
    const heartbeat = setInterval(() => request.msg.working(), Math.max(1_000, this.#o.queue.ackWaitMs / 2));
    try {
      await this.#process(request, lease, log);
    } catch (err) {
      log.error({ err }, "request could not be recorded; it will be delivered again");
      request.msg.nak(REDELIVERY_DELAY_MS);
    } finally {
      clearInterval(heartbeat);
      lease.release();
    }
  }

  async #process(request: QueuedRequest, lease: RuntimeLease, log: Logger): Promise<void> {
    const current = await this.#current(request, log);
    if (!current) return;
    // The in_progress write and the call overlap: the write is a NATS round trip the handler need not wait for.
    const call = this.#call(request, lease, log).finally(() => lease.release());
    const [write, outcome] = await Promise.allSettled([this.#o.store.advance(current, (r) => started(r, request.deliveryCount)), call]);
    if (write.status === "rejected") throw write.reason;
    if (outcome.status === "rejected") throw outcome.reason;
    const running = write.value;
    if (!running) return void request.msg.ack(); // the request had already ended: a duplicate delivery
    log.debug("request ran");
    if (outcome.value === "redeliver") return void request.msg.nak(REDELIVERY_DELAY_MS);
    await this.#finish(running, outcome.value, log);
    request.msg.ack();
  }

  /**
   * The record to move to `in_progress`. A first delivery carries the gateway's `in_queue` record
   * (creation time and revision), so it needs no read; a redelivery reads the current one.
   */
  async #current(request: QueuedRequest, log: Logger): Promise<StoredRecord | null> {
    if (request.deliveryCount === 1 && request.queued) {
      const record = newRecord(this.#o.api, request.id, new Date(request.queued.createdAt));
      return { record, revision: request.queued.revision };
    }
    const stored = await this.#o.store.get(this.#o.api, request.id);
    if (!stored) {
      log.warn("no record for this request (it was never accepted, or it expired); dropping it");
      request.msg.term();
      return null;
    }
    if (isFinal(stored.record.status)) {
      request.msg.ack(); // a duplicate delivery of a request that already ended
      return null;
    }
    return stored;
  }

  /** Calls the runtime; `"redeliver"` when the runtime died and another delivery is allowed. */
  async #call(request: QueuedRequest, lease: RuntimeLease, log: Logger): Promise<Outcome | "redeliver"> {
    const { payload, contentType, headers, id, deliveryCount } = request;
    try {
      const response = await lease.client.handle({ requestId: id, payload, contentType, headers, attempt: deliveryCount }, this.#o.requestTimeoutMs);
      return outcomeOf(response);
    } catch (err) {
      if (err instanceof RuntimeTimeoutError) {
        log.warn({ timeoutMs: err.timeoutMs }, "handler timed out; restarting its runtime");
        lease.kill();
        return { kind: "failed", error: { type: "Timeout", message: err.message } };
      }
      if (deliveryCount < this.#o.queue.maxDeliver) {
        log.warn({ err }, "runtime failed during the request; it will be delivered again");
        return "redeliver";
      }
      const message = `the runtime crashed on each of ${deliveryCount} attempts at this request: ${(err as Error).message}`;
      return { kind: "failed", error: { type: "RuntimeCrashed", message } };
    }
  }

  async #finish(running: StoredRecord, outcome: Outcome, log: Logger): Promise<void> {
    if (outcome.kind === "failed") log.info({ error: outcome.error, traceback: outcome.traceback }, "request failed");
    else log.debug("request completed");
    try {
      await this.#o.store.advance(running, (r) => (outcome.kind === "completed" ? completed(r, outcome.result) : failed(r, outcome.error)));
    } catch (err) {
      if (!(err instanceof RecordTooLargeError)) throw err;
      const error: RequestError = { type: "ResultTooLarge", message: `the result is ${err.bytes} bytes; results may be at most ${err.limit} bytes` };
      log.info({ error }, "request failed");
      await this.#o.store.advance(running, (r) => failed(r, error));
    }
  }
}
