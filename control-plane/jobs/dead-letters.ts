import type { NatsConnection } from "@nats-io/transport-node";
import { headers as natsHeaders, nanos } from "@nats-io/transport-node";
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { isApiName, isRequestId } from "./names.ts";
import type { RequestError } from "./record.ts";
import type { QueuedRequest } from "./work-queue.ts";

const H_CONTENT_TYPE = "Glia-Content-Type";
const H_HEADERS = "Glia-Headers";
const H_ERROR = "Glia-Error";
const H_PAYLOAD_STORED = "Glia-Payload-Stored";

/** A failed request's payload, kept so it can be put back in the queue. */
export interface DeadLetter {
  id: string;
  payload: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
  error: RequestError;
  /** The payload stayed in the payload store (too large for a message); `payload` is empty. */
  payloadStored: boolean;
}

function stream(api: string): string {
  if (!isApiName(api)) throw new TypeError(`not an API name: ${JSON.stringify(api)}`);
  return `GLIA_DLQ_${api}`;
}

function subject(api: string, id: string): string {
  if (!isRequestId(id)) throw new TypeError(`not a request id: ${JSON.stringify(id)}`);
  return `glia.dlq.${api}.${id}`;
}

/**
 * One dead-letter stream per API: the payload of every request that ended `failed`, one message
 * per request id, kept as long as records are.
 */
export class DeadLetters {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #maxAgeMs: number;
  readonly #replicas: number;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, maxAgeMs: number, replicas: number) {
    this.#js = js;
    this.#jsm = jsm;
    this.#maxAgeMs = maxAgeMs;
    this.#replicas = replicas;
  }

  static async open(nc: NatsConnection, options: { maxAgeMs?: number; replicas?: number } = {}): Promise<DeadLetters> {
    const maxAge = options.maxAgeMs ?? 7 * 24 * 3600_000;
    return new DeadLetters(jetstream(nc), await jetstreamManager(nc), maxAge, options.replicas ?? 1);
  }

  async ensure(api: string): Promise<void> {
    const config = {
      name: stream(api),
      subjects: [`glia.dlq.${api}.*`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(this.#maxAgeMs),
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.Old,
      num_replicas: this.#replicas,
    };
    await this.#jsm.streams.add(config).catch(async (err: unknown) => {
      if (!String((err as Error).message).includes("already in use")) throw err;
      await this.#jsm.streams.update(config.name, config);
    });
  }

  /** Keeps a failed request's payload (idempotent: one message per id). */
  async put(api: string, request: QueuedRequest, error: RequestError): Promise<void> {
    const h = natsHeaders();
    h.set(H_CONTENT_TYPE, request.contentType);
    h.set(H_HEADERS, JSON.stringify(request.headers));
    h.set(H_ERROR, JSON.stringify(error));
    if (request.payloadStored) h.set(H_PAYLOAD_STORED, "1");
    const data = request.payloadStored ? new Uint8Array(0) : request.payload;
    await this.#js.publish(subject(api, request.id), data, { headers: h });
  }

  async get(api: string, id: string): Promise<DeadLetter | null> {
    const msg = await this.#jsm.streams.getMessage(stream(api), { last_by_subj: subject(api, id) }).catch(() => null);
    if (!msg) return null;
    const parse = <T>(name: string, fallback: T): T => {
      try {
        return JSON.parse(msg.header.get(name) || "null") ?? fallback;
      } catch {
        return fallback;
      }
    };
    return {
      id,
      payload: msg.data,
      contentType: msg.header.get(H_CONTENT_TYPE),
      headers: parse(H_HEADERS, {}),
      error: parse<RequestError>(H_ERROR, { type: "Unknown", message: "" }),
      payloadStored: msg.header.get(H_PAYLOAD_STORED) === "1",
    };
  }

  /** The ids of every dead-lettered request of an API. */
  async ids(api: string): Promise<string[]> {
    const info = await this.#jsm.streams.info(stream(api), { subjects_filter: `glia.dlq.${api}.*` }).catch(() => null);
    const subjects = Object.keys(info?.state.subjects ?? {});
    return subjects.map((s) => s.slice(s.lastIndexOf(".") + 1));
  }

  async remove(api: string, id: string): Promise<void> {
    await this.#jsm.streams.purge(stream(api), { filter: subject(api, id) });
  }
}
