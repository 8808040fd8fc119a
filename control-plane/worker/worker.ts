import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/index.ts";
import {
  completed,
  failed,
  newRecord,
  RecordTooLargeError,
  type QueuedRequest,
  type RequestRecord,
  type RequestStream,
  type ResultStore,
  type StoredRecord,
  type WorkQueue,
  type DeadLetters,
  type PayloadStore,
} from "../jobs/index.ts";
import { RuntimeTimeoutError, type RuntimeLease, type RuntimePool } from "../runtime/index.ts";
import { outcomeOf, type Outcome } from "./outcome.ts";
import {
  admit,
  afterAttempt,
  beginAttempt,
  finishSteps,
  leaseAfter,
  notRecorded,
  payloadMissing,
  recordSource,
  recordTooLarge,
  type AttemptResult,
  type Settlement,
} from "./decide.ts";
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

  /** The pull loops running now (see {@link setConcurrency}). */
  get concurrency(): number {
    return this.#streams.length;
  }

  /** Starts one pull loop per runtime replica. */
  async start(): Promise<void> {
    await this.setConcurrency(this.#o.pool.size);
    this.#log.info({ replicas: this.#o.pool.size }, "worker started");
  }

  /**
   * Pulls with `loops` loops, one per runtime the pool is to have (the autoscaler changes it):
   * added loops pull at once; a removed loop stops taking requests, and one it holds is run first.
   */
  async setConcurrency(loops: number): Promise<void> {
    while (!this.#stopping && this.#streams.length < loops) {
      const stream = await this.#o.queue.pull(this.#o.api);
      this.#streams.push(stream);
      this.#loops.push(this.#loop(stream));
    }
    while (this.#streams.length > loops) this.#streams.pop()!.stop();
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
      request.msg.nak(notRecorded().delayMs);
    } finally {
      this.#running.delete(request);
      inFlight.dec();
      clearInterval(heartbeat);
      lease.release();
    }
  }

  async #process(request: QueuedRequest, lease: RuntimeLease, log: Logger): Promise<void> {
    const current = await this.#current(request);
    const admitted = admit(request, current?.record ?? null, this.#o.retries);
    if (admitted.kind !== "run") return this.#carryOut(admitted, request, current, (r) => r, log);
    if (!current) return; // never: admit runs only a request that has a record
    const { attempt } = admitted;
    if (request.payloadStored && !(await this.#fetchPayload(request)))
      return this.#carryOut(payloadMissing(), request, current, (r) => r, log);
    const startedAt = new Date();
    const begin = (r: RequestRecord): RequestRecord => beginAttempt(r, request, attempt, startedAt);
    let marking: Promise<StoredRecord | null> | null = null;
    const timer = setTimeout(() => {
      marking = this.#o.store.advance(current, begin);
      marking.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    }, this.#o.inProgressDelayMs);
    const result = await this.#call(request, attempt, lease).finally(() => {
      clearTimeout(timer);
      lease.release();
    });
    const marked = marking ? await (marking as Promise<StoredRecord | null>) : current;
    const decision = afterAttempt(attempt, result, this.#o.retries, marked === null);
    await this.#carryOut(decision, request, marked ?? current, begin, log);
  }

  /** Carries out a decision: settles the message, recording the outcome first when there is one. */
  async #carryOut(
    decision: Settlement,
    request: QueuedRequest,
    current: StoredRecord | null,
    begin: (r: RequestRecord) => RequestRecord,
    log: Logger,
  ): Promise<void> {
    switch (decision.kind) {
      case "drop":
        log.warn("no record for this request (it was never accepted, or it expired); dropping it");
        return void request.msg.term();
      case "duplicate":
        return void request.msg.ack(); // the request had already ended
      case "retry":
        log.warn({ why: decision.why }, "the attempt ended without an answer; the request will be tried again");
        this.#o.metrics.redeliveries.inc({ api: this.#o.api });
        return void request.msg.nak(decision.delayMs);
      case "finish":
        // A request is finished only once its record was found (admit drops one without).
        await this.#finish(request, current!, begin, decision.outcome, log);
        return void (decision.settle === "ack" ? request.msg.ack() : request.msg.term());
    }
  }

  /**
   * The record to move forward: the one the message carries, when {@link recordSource} says it
   * may be trusted, or the stored one (null when there is none).
   */
  async #current(request: QueuedRequest): Promise<StoredRecord | null> {
    if (recordSource(request, this.#o.trustFirstDelivery) === "message" && request.queued) {
      const record = newRecord(this.#o.api, request.id, new Date(request.queued.createdAt));
      return { record, revision: request.queued.revision };
    }
    return this.#o.store.get(this.#o.api, request.id);
  }

  /** Calls the runtime and says how the attempt ended; a timed-out runtime is killed, a failed one checked. */
  async #call(request: QueuedRequest, attempt: number, lease: RuntimeLease): Promise<AttemptResult> {
    const { payload, contentType, headers, id } = request;
    let result: AttemptResult;
    try {
      const response = await lease.client.handle(
        { requestId: id, payload, contentType, headers, attempt },
        this.#o.requestTimeoutMs,
      );
      this.#o.metrics.handlerSeconds.observe({ api: this.#o.api }, response.handlerSeconds);
      result = { kind: "answered", outcome: outcomeOf(response) };
    } catch (err) {
      const { message } = err as Error;
      result = err instanceof RuntimeTimeoutError ? { kind: "timed-out", message } : { kind: "crashed", message };
    }
    const action = leaseAfter(result);
    if (action === "kill") lease.kill();
    else if (action === "suspect") lease.suspect();
    return result;
  }

  async #fetchPayload(request: QueuedRequest): Promise<boolean> {
    const payload = await this.#o.payloads?.get(this.#o.api, request.id);
    if (!payload) return false;
    request.payload = payload;
    return true;
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
    const steps = finishSteps(outcome, request.payloadStored);
    const end = (r: RequestRecord): RequestRecord =>
      outcome.kind === "completed" ? completed(begin(r), outcome.result) : failed(begin(r), outcome.error);
    if (outcome.kind === "failed" && steps.deadLetter)
      await this.#o.deadLetters?.put(this.#o.api, request, outcome.error);
    try {
      await this.#o.store.advance(current, end);
      this.#o.metrics.requests.inc({ api: this.#o.api, status: outcome.kind });
      if (steps.removePayload) await this.#o.payloads?.remove(this.#o.api, request.id);
    } catch (err) {
      // Results too large for a record are stored apart (see ResultStore): only the rest is left.
      const tooLarge = outcome.kind === "failed" && outcome.error.type === "RecordTooLarge";
      if (!(err instanceof RecordTooLargeError) || tooLarge) throw err;
      await this.#finish(request, current, begin, recordTooLarge(err.bytes, err.limit), log);
    }
  }
}
