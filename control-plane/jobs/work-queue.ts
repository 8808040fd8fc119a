import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { headers as natsHeaders, nanos } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { requestStream, requestSubject, WORKER_CONSUMER } from "./names.ts";
import { QueueFullError, StoreUnavailableError } from "./errors.ts";

const H_ID = "Glia-Request-Id";
const H_CONTENT_TYPE = "Glia-Content-Type";
/** Set when the payload is in the object store rather than in the message. */
const H_PAYLOAD_STORED = "Glia-Payload-Stored";
const H_HEADERS = "Glia-Headers";
const H_REVISION = "Glia-Record-Revision";
const H_CREATED = "Glia-Created-At";

export interface WorkQueueOptions {
  /** How long an unacknowledged delivery is kept before it is redelivered. @default 30 s */
  ackWaitMs?: number;
  /** Deliveries of one request before JetStream stops redelivering it. @default 5 */
  maxDeliver?: number;
  /** How long a request may wait in the queue; matches the result TTL. @default 7 days */
  maxAgeMs?: number;
  /** Stream replicas in a NATS cluster. @default 1 */
  replicas?: number;
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;

/** A queued request as a worker receives it. */
export interface QueuedRequest {
  id: string;
  payload: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
  /** 1 on the first delivery, more after a crash or a timeout. */
  deliveryCount: number;
  /** The `in_queue` record as the gateway wrote it, so the first delivery needs no read. */
  queued: { createdAt: string; revision: number } | null;
  /** The payload is in the {@link PayloadStore}; `payload` is empty until the worker fetches it. */
  payloadStored: boolean;
  msg: JsMsg;
}

/** What the gateway queues. */
export interface Submission {
  id: string;
  payload: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
  /** The `in_queue` record's creation time and KV revision. */
  queued: { createdAt: string; revision: number };
  /** JetStream's de-duplication id. @default the request id (a retried POST is stored once) */
  msgId?: string;
  /** The payload was put in the {@link PayloadStore}; `payload` is then empty. */
  payloadStored?: boolean;
}

/** One JetStream work-queue stream per API and the durable pull consumer its workers share. */
export class WorkQueue {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: Required<WorkQueueOptions>;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, options: Required<WorkQueueOptions>) {
    this.#js = js;
    this.#jsm = jsm;
    this.#options = options;
  }

  static async open(nc: NatsConnection, options: WorkQueueOptions = {}): Promise<WorkQueue> {
    const resolved: Required<WorkQueueOptions> = {
      ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
      maxDeliver: options.maxDeliver ?? DEFAULT_MAX_DELIVER,
      maxAgeMs: options.maxAgeMs ?? 7 * 24 * 3600_000,
      replicas: options.replicas ?? 1,
    };
    return new WorkQueue(jetstream(nc), await jetstreamManager(nc), resolved);
  }

  get ackWaitMs(): number {
    return this.#options.ackWaitMs;
  }

  get maxDeliver(): number {
    return this.#options.maxDeliver;
  }

  /**
   * Creates (or updates) the API's stream and consumer; safe to call from every process.
   * `maxQueued` caps the requests the stream holds (waiting or running): past it JetStream itself
   * refuses new ones, so the limit holds across gateways without a race. `maxDeliver` caps the
   * deliveries of one request.
   */
  async ensure(api: string, limits: { maxQueued?: number | null; maxDeliver?: number } = {}): Promise<void> {
    const stream = requestStream(api);
    const config = {
      name: stream,
      subjects: [requestSubject(api)],
      max_msgs: limits.maxQueued ?? -1,
      discard: DiscardPolicy.New,
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      max_age: nanos(this.#options.maxAgeMs),
      duplicate_window: nanos(120_000),
      num_replicas: this.#options.replicas,
    };
    await this.#jsm.streams.add(config).catch(async (err: unknown) => {
      if (!String((err as Error).message).includes("already in use")) throw err;
      await this.#jsm.streams.update(stream, config);
    });
    const settings = {
      ack_wait: nanos(this.#options.ackWaitMs),
      max_deliver: limits.maxDeliver ?? this.#options.maxDeliver,
      max_ack_pending: 10_000,
    };
    const existing = await this.#jsm.consumers.info(stream, WORKER_CONSUMER).catch(() => null);
    if (existing) {
      // A redeploy may change the attempts or the ack wait; the durable keeps its place in the stream.
      await this.#jsm.consumers.update(stream, WORKER_CONSUMER, settings);
      return;
    }
    await this.#jsm.consumers.add(stream, {
      durable_name: WORKER_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      num_replicas: this.#options.replicas,
      ...settings,
    });
  }

  /** Queues a request; resolves once JetStream has stored it. Duplicate ids are stored once. */
  async publish(api: string, submission: Submission): Promise<void> {
    const h = natsHeaders();
    h.set(H_ID, submission.id);
    if (submission.payloadStored) h.set(H_PAYLOAD_STORED, "1");
    h.set(H_CONTENT_TYPE, submission.contentType);
    h.set(H_HEADERS, JSON.stringify(submission.headers));
    h.set(H_REVISION, String(submission.queued.revision));
    h.set(H_CREATED, submission.queued.createdAt);
    try {
      await this.#js.publish(requestSubject(api), submission.payload, {
        msgID: submission.msgId ?? submission.id,
        headers: h,
      });
    } catch (err) {
      if (isQueueFull(err)) throw new QueueFullError(api, { cause: err });
      throw new StoreUnavailableError(`could not queue request ${submission.id} of ${api}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** How many requests were ever queued for an API (the stream's last sequence). */
  async queuedTotal(api: string): Promise<number> {
    const info = await this.#jsm.streams.info(requestStream(api));
    return info.state.last_seq;
  }

  /** Number of requests waiting for a worker (not yet delivered). */
  async pending(api: string): Promise<number> {
    const info = await this.#jsm.consumers.info(requestStream(api), WORKER_CONSUMER);
    return info.num_pending;
  }

  /**
   * Requests queued or being run (the worker consumer's pending + acknowledgement-pending): what
   * the autoscaler sizes an API by, as Cortex did with its queue's visible + in-flight messages.
   */
  async inFlight(api: string): Promise<number> {
    const info = await this.#jsm.consumers.info(requestStream(api), WORKER_CONSUMER);
    return info.num_pending + info.num_ack_pending;
  }

  /**
   * A stream of the API's requests for one runtime slot: at most one request is delivered at a
   * time, and the next is pulled only after the caller asks for it, so nothing waits in a client
   * buffer with its ack timer running.
   */
  async pull(api: string): Promise<RequestStream> {
    const consumer = await this.#js.consumers.get(requestStream(api), WORKER_CONSUMER);
    const messages = await consumer.consume({ max_messages: 1 });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const msg of messages) {
          const request = readRequest(msg);
          if (request) yield request;
          else msg.term(); // not one of ours: it cannot be served, so it is removed, not retried
        }
      },
      stop: () => messages.stop(),
    };
  }

  /** Drops every queued request of an API (the stream itself stays). */
  async purge(api: string): Promise<void> {
    await this.#jsm.streams.purge(requestStream(api));
  }
}

/** Requests delivered one at a time; `stop` ends the iteration. */
export interface RequestStream extends AsyncIterable<QueuedRequest> {
  stop(): void;
}

/** Reads a delivered message into a {@link QueuedRequest}; `null` if it is not one of ours. */
export function readRequest(msg: JsMsg): QueuedRequest | null {
  const h: MsgHdrs | undefined = msg.headers;
  const id = h?.get(H_ID);
  if (!h || !id) return null;
  return {
    id,
    payload: msg.data,
    contentType: h.get(H_CONTENT_TYPE),
    headers: parseHeaders(h.get(H_HEADERS)),
    deliveryCount: msg.info.deliveryCount,
    queued: queuedOf(h),
    payloadStored: h.get(H_PAYLOAD_STORED) === "1",
    msg,
  };
}

/** JetStream's answer when a stream with `discard: new` is at `max_msgs`. */
function isQueueFull(err: unknown): boolean {
  const apiError = (err as { api_error?: { err_code?: number } }).api_error;
  return apiError?.err_code === 10077 || /maximum messages exceeded/i.test(String((err as Error)?.message));
}

function queuedOf(h: MsgHdrs): QueuedRequest["queued"] {
  const revision = Number(h.get(H_REVISION));
  const createdAt = h.get(H_CREATED);
  return Number.isSafeInteger(revision) && revision > 0 && createdAt ? { revision, createdAt } : null;
}

function parseHeaders(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text || "{}");
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}
