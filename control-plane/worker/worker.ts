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
  type RequestRecord,
  type RequestStream,
  type ResultStore,
  type StoredRecord,
  type WorkQueue,
  type DeadLetters,
  type PayloadStore,
} from "../jobs/index.ts";
import { RuntimeTimeoutError, type RuntimeLease, type RuntimePool } from "../runtime/index.ts";
import { attemptOf } from "./attempt.ts";
import { outcomeOf, type Outcome } from "./outcome.ts";
import { DEFAULT_RETRIES, type ResolvedRetries } from "../config/index.ts";
import { WorkerMetrics } from "./metrics.ts";

/** Default deadline of one handler call: 1 hour. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3600_000;
/**
 * A request still running after this long is recorded `in_progress`. Shorter ones go straight
 * from `in_queue` to their final record: one KV write less per request, and no reader could
 * have seen the difference for more than this long.
 */
export const DEFAULT_IN_PROGRESS_DELAY_MS = 50;
/** Delay before a request whose runtime died is delivered again. */
const REDELIVERY_DELAY_MS = 1_000;

export interface WorkerOptions {
  api: string;
  queue: WorkQueue;
  store: ResultStore;
  pool: RuntimePool;
  logger: Logger;
  /** Deadline of one handler call; past it the runtime is killed and the request fails. @default 1 hour */
  requestTimeoutMs?: number;
  /** @default {@link DEFAULT_IN_PROGRESS_DELAY_MS} */
  inProgressDelayMs?: number;
  /** Where the worker counts requests, handler time and in-flight work. @default a private registry */
  metrics?: WorkerMetrics;
  /** Attempts and back-off (`glia.retries`). @default 3 attempts, 1 s doubling, handler errors not retried */
  retries?: ResolvedRetries;
  /** Where the payloads of failed requests are kept for `glia requeue`. @default none kept */
  deadLetters?: DeadLetters | null;
  /** Where payloads too large for a message are. @default none (such requests fail) */
  payloads?: PayloadStore | null;
  /**
   * Whether a first delivery may skip reading its record (the gateway's `in_queue` revision rides
   * in the message). A NATS cluster can deliver again as "first" after a leader change, so there
   * the record is always read, and a request that already ended is not run again. @default true
   */
  trustFirstDelivery?: boolean;
}

/** The consumer delivers one more time than attempts are allowed: that delivery only records the failure. */
export function maxDeliveries(retries: ResolvedRetries): number {
  return retries.maxAttempts + 1;
}

const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * Pulls an API's requests and runs each on a free runtime: call the runtime (recording
 * `in_progress` if it runs past a few milliseconds), record `completed`/`failed`, then acknowledge.
 * A request whose runtime died is handed back to the queue, not failed, until its last allowed
 * delivery.
 */
export class ApiWorker {
  readonly #o: Required<WorkerOptions>;
  readonly #log: Logger;
  readonly #streams: RequestStream[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** The requests being run now, to hand back to the queue if shutdown's grace period ends. */
  readonly #running = new Set<QueuedRequest>();
  #loops: Promise<void>[] = [];
  #stopping = false;

  constructor(options: WorkerOptions) {
    this.#o = {
      ...options,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      inProgressDelayMs: options.inProgressDelayMs ?? DEFAULT_IN_PROGRESS_DELAY_MS,
      metrics: options.metrics ?? new WorkerMetrics(),
      retries: options.retries ?? DEFAULT_RETRIES,
      deadLetters: options.deadLetters ?? null,
      payloads: options.payloads ?? null,
      trustFirstDelivery: options.trustFirstDelivery ?? true,
    };
    this.#log = options.logger.child({ module: "worker", api: options.api });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Starts one pull loop per runtime replica. */
  async start(): Promise<void> {
    for (let i = 0; i < this.#o.pool.size; i++) this.#streams.push(await this.#o.queue.pull(this.#o.api));
    this.#loops = this.#streams.map((stream) => this.#loop(stream));
    this.#log.info({ replicas: this.#o.pool.size }, "worker started");
  }

  /** Stops pulling, then waits up to `graceMs` for running requests (after that they are redelivered). */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#streams.forEach((s) => s.stop());
    await Promise.all(this.#loops);
    const grace = new AbortController();
    const drained = Promise.all(this.#inFlight).then(() => true);
    const expired = sleep(graceMs, false, { signal: grace.signal }).catch(() => false);
    const done = await Promise.race([drained, expired]);
    grace.abort();
    if (done) return;
    this.#log.warn({ inFlight: this.#running.size }, "requests still running at shutdown go back to the queue");
    // Hand them back now rather than after the ack wait; the next attempt runs on another
    // worker. Should this one still finish first, its write is a compare-and-set like any other.
    this.#running.forEach((r) => r.msg.nak());
  }

  /** Takes the next request only once a runtime is free, and the one after once that runtime is free again. */
  async #loop(stream: RequestStream): Promise<void> {
    try {
      for await (const request of stream) {
        if (this.#stopping) return void request.msg.nak();
        // The request is held while it waits for a runtime (all busy, or restarting): keep it ours.
        const waiting = setInterval(() => request.msg.working(), this.#heartbeatMs);
        const lease = await this.#o.pool.acquire().finally(() => clearInterval(waiting));
        const released = new Promise<void>((resolve) => {
          const work = this.#run(request, { ...lease, release: () => (lease.release(), resolve()) });
          this.#track(work.finally(resolve));
        });
        await released;
      }
    } catch (err) {
      if (!this.#stopping) this.#log.error({ err }, "pulling requests failed");
    }
  }

  /** How often a held request tells JetStream it is in progress: every half ack wait (at least 1 s). */
  get #heartbeatMs(): number {
    return Math.max(1_000, this.#o.queue.ackWaitMs / 2);
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #run(request: QueuedRequest, lease: RuntimeLease): Promise<void> {
    const log = this.#log.child({ requestId: request.id, attempt: request.deliveryCount });
    const heartbeat = setInterval(() => request.msg.working(), this.#heartbeatMs);
    const inFlight = this.#o.metrics.inFlight.labels(this.#o.api);
    inFlight.inc();
    this.#running.add(request);
    try {
      await this.#process(request, lease, log);
    } catch (err) {
      log.error({ err }, "request could not be recorded; it will be delivered again");
      request.msg.nak(REDELIVERY_DELAY_MS);
    } finally {
      this.#running.delete(request);
      inFlight.dec();
      clearInterval(heartbeat);
      lease.release();
    }
  }

  async #process(request: QueuedRequest, lease: RuntimeLease, log: Logger): Promise<void> {
    const current = await this.#current(request, log);
    if (!current) return;
    const attempt = attemptOf(request, current.record);
    if (attempt > this.#o.retries.maxAttempts) return this.#exhausted(request, current, log);
    if (request.payloadStored && !(await this.#fetchPayload(request))) {
      const error = { type: "PayloadMissing", message: "the payload is no longer in the object store (it expired)" };
      return this.#finish(request, current, (r) => r, { kind: "failed", error }, log).then(() => request.msg.term());
    }
    const startedAt = new Date();
    const ours = startedAt.toISOString();
    // An in_progress record that is not this attempt's own was left by an earlier attempt (its
    // worker died): this one comes after it, whatever JetStream's delivery count says.
    const begin = (r: RequestRecord): RequestRecord =>
      r.status === "in_progress" && r.startedAt === ours ? r : started(r, attemptOf(request, r, attempt), startedAt);
    let marking: Promise<StoredRecord | null> | null = null;
    const timer = setTimeout(() => {
      marking = this.#o.store.advance(current, begin);
      marking.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    }, this.#o.inProgressDelayMs);
    const outcome = await this.#call(request, attempt, lease, log).finally(() => {
      clearTimeout(timer);
      lease.release();
    });
    const marked = marking ? await (marking as Promise<StoredRecord | null>) : current;
    if (!marked) return void request.msg.ack(); // the request had already ended: a duplicate delivery
    if (outcome === "retry") return void request.msg.nak(this.#backoffMs(attempt));
    await this.#finish(request, marked, begin, outcome, log);
    request.msg.ack();
  }

  /**
   * The record to move forward. A first delivery carries the gateway's `in_queue` record
   * (creation time and revision), so it needs no read; a redelivery reads the current one.
   */
  async #current(request: QueuedRequest, log: Logger): Promise<StoredRecord | null> {
    if (request.deliveryCount === 1 && request.queued && this.#o.trustFirstDelivery) {
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

  /**
   * Calls the runtime; `"retry"` when the attempt ended without an answer (the runtime died or
   * timed out, or the handler raised and the API retries those) and another attempt is allowed.
   */
  async #call(request: QueuedRequest, attempt: number, lease: RuntimeLease, log: Logger): Promise<Outcome | "retry"> {
    const { payload, contentType, headers, id } = request;
    const canRetry = attempt < this.#o.retries.maxAttempts;
    try {
      const response = await lease.client.handle(
        { requestId: id, payload, contentType, headers, attempt },
        this.#o.requestTimeoutMs,
      );
      this.#o.metrics.handlerSeconds.observe({ api: this.#o.api }, response.handlerSeconds);
      const outcome = outcomeOf(response);
      if (outcome.kind === "failed" && canRetry && this.#o.retries.onHandlerError)
        return this.#retry(log, outcome.error.message);
      return outcome;
    } catch (err) {
      const timedOut = err instanceof RuntimeTimeoutError;
      if (timedOut)
        lease.kill(); // a running handler cannot be stopped otherwise; the runtime restarts
      else lease.suspect();
      if (canRetry) return this.#retry(log, (err as Error).message);
      const message = timedOut
        ? (err as Error).message
        : `the runtime crashed on each of ${attempt} attempts at this request: ${(err as Error).message}`;
      return { kind: "failed", error: { type: timedOut ? "Timeout" : "RuntimeCrashed", message } };
    }
  }

  #retry(log: Logger, why: string): "retry" {
    log.warn({ why }, "the attempt ended without an answer; the request will be tried again");
    this.#o.metrics.redeliveries.inc({ api: this.#o.api });
    return "retry";
  }

  #backoffMs(attempt: number): number {
    return Math.min(MAX_BACKOFF_MS, this.#o.retries.backoffSeconds * 1000 * 2 ** (attempt - 1));
  }

  async #fetchPayload(request: QueuedRequest): Promise<boolean> {
    const payload = await this.#o.payloads?.get(this.#o.api, request.id);
    if (!payload) return false;
    request.payload = payload;
    return true;
  }

  /** A delivery past the last attempt: the previous one ended with its worker gone. Record why. */
  async #exhausted(request: QueuedRequest, current: StoredRecord, log: Logger): Promise<void> {
    const attempts = this.#o.retries.maxAttempts;
    const message = `no attempt finished: the worker or runtime running it stopped during each of ${attempts} attempts`;
    const outcome: Outcome = { kind: "failed", error: { type: "AttemptsExhausted", message } };
    await this.#finish(request, current, (r) => r, outcome, log);
    request.msg.term();
  }

  async #finish(
    request: QueuedRequest,
    current: StoredRecord,
    begin: (r: RequestRecord) => RequestRecord,
    outcome: Outcome,
    log: Logger,
  ): Promise<void> {
    if (outcome.kind === "failed") log.info({ error: outcome.error, traceback: outcome.traceback }, "request failed");
    else log.debug("request completed");
    const end = (r: RequestRecord): RequestRecord =>
      outcome.kind === "completed" ? completed(begin(r), outcome.result) : failed(begin(r), outcome.error);
    // The payload is kept before the record says failed, so `glia requeue` always finds it.
    if (outcome.kind === "failed") await this.#o.deadLetters?.put(this.#o.api, request, outcome.error);
    try {
      await this.#o.store.advance(current, end);
      this.#o.metrics.requests.inc({ api: this.#o.api, status: outcome.kind });
      // A failed request's stored payload stays for `glia requeue` until it expires.
      if (outcome.kind === "completed" && request.payloadStored)
        await this.#o.payloads?.remove(this.#o.api, request.id);
    } catch (err) {
      if (!(err instanceof RecordTooLargeError)) throw err;
      // Results too large for a record are stored apart (see ResultStore): only the rest is left.
      const error: RequestError = {
        type: "RecordTooLarge",
        message: `the request's record would be ${err.bytes} bytes, more than the ${err.limit} the NATS server accepts`,
      };
      log.info({ error }, "request failed");
      await this.#o.deadLetters?.put(this.#o.api, request, error);
      await this.#o.store.advance(current, (r) => failed(begin(r), error));
      this.#o.metrics.requests.inc({ api: this.#o.api, status: "failed" });
    }
  }
}
