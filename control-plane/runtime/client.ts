import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./gen/runtime.ts";
import type { RuntimeClient as GeneratedClient } from "./gen/glia/runtime/v1/Runtime.ts";
import type { HandleRequest } from "./gen/glia/runtime/v1/HandleRequest.ts";
import type { HandleCall } from "./gen/glia/runtime/v1/HandleCall.ts";
import type { HandleAnswer__Output } from "./gen/glia/runtime/v1/HandleAnswer.ts";
import type { HandleResponse__Output } from "./gen/glia/runtime/v1/HandleResponse.ts";
import type { HealthResponse__Output } from "./gen/glia/runtime/v1/HealthResponse.ts";
import { RuntimeTimeoutError, RuntimeUnavailableError } from "./errors.ts";

export type { HandleRequest, HandleResponse__Output as HandleResponse, HealthResponse__Output as HealthResponse };

const PROTO = fileURLToPath(new URL("../../proto/glia/runtime/v1/runtime.proto", import.meta.url));

/** Same flags as `npm run gen:proto`, or the generated types would not describe the objects. */
const LOAD_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

let loaded: ProtoGrpcType | undefined;

function proto(): ProtoGrpcType {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, LOAD_OPTIONS)) as unknown as ProtoGrpcType;
  return loaded;
}

/** One series a handler recorded: a gauge, a counter, or a histogram with cumulative buckets. */
export interface HandlerSeries {
  kind: "gauge" | "counter" | "histogram";
  name: string;
  tags: Record<string, string>;
  value?: number;
  count: number;
  sum?: number;
  buckets?: Array<[number, number]>;
}

/**
 * Default limit on one gRPC message each way, for the worker's client and (through the runtime
 * spec, spec.ts) the Python runtime's server: the one value both sides use, decided here.
 *
 * 128 MiB, because a request the gateway accepts must fit: its body limit is 100 MiB
 * (`DEFAULT_MAX_BODY_BYTES` in gateway/app.ts), plus the HandleRequest fields around it. The
 * runtime's former own default, 64 MiB, refused bodies the gateway had taken; gRPC's default,
 * 4 MiB, is far below both.
 * @default 134217728
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

interface Waiting {
  resolve: (response: HandleResponse__Output) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One `HandleStream` and the calls it carries that are not answered yet, by call id. */
interface CallStream {
  stream: grpc.ClientDuplexStream<HandleCall, HandleAnswer__Output>;
  waiting: Map<string, Waiting>;
}

/**
 * A gRPC client for one runtime process, on its Unix socket. Requests go over one `HandleStream`
 * opened on first use (two messages a request, rather than a call's HTTP/2 stream each); a stream
 * that fails fails the calls it carries, and the next request opens another.
 */
export class RuntimeClient {
  readonly #client: GeneratedClient;
  #current: CallStream | null = null;
  #lastCall = 0;

  constructor(socketPath: string, maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    const Runtime = proto().glia.runtime.v1.Runtime;
    this.#client = new Runtime(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": maxMessageBytes,
      "grpc.max_send_message_length": maxMessageBytes,
    });
  }

  /**
   * Runs one request; rejects with {@link RuntimeTimeoutError} when it is not answered within
   * `timeoutMs` (the handler may still be running: the caller stops the runtime), or with
   * {@link RuntimeUnavailableError} when the runtime gave it up or the stream failed.
   */
  handle(request: HandleRequest, timeoutMs: number): Promise<HandleResponse__Output> {
    const { stream, waiting } = this.#open();
    const callId = String(++this.#lastCall);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(callId);
        reject(new RuntimeTimeoutError(timeoutMs));
      }, timeoutMs);
      waiting.set(callId, { resolve, reject, timer });
      stream.write({ callId, request });
    });
  }

  #open(): CallStream {
    if (this.#current) return this.#current;
    const opened: CallStream = { stream: this.#client.handleStream(), waiting: new Map() };
    const { stream, waiting } = opened;
    stream.on("data", (answer: HandleAnswer__Output) => answered(waiting, answer));
    const ended = (err: Error): void => {
      if (this.#current === opened) this.#current = null;
      failAll(waiting, err); // only this stream's calls: a later one carries its own
    };
    stream.on("error", (err: grpc.ServiceError) => ended(toRuntimeError(err, 0)));
    stream.on("end", () => ended(new RuntimeUnavailableError("the runtime closed its request stream")));
    this.#current = opened;
    return opened;
  }

  health(timeoutMs: number): Promise<HealthResponse__Output> {
    return new Promise((resolve, reject) => {
      this.#client.health({}, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(toRuntimeError(err, timeoutMs));
        else resolve(res!);
      });
    });
  }

  /** The series the handler recorded with its metrics_client (see the runtime's MetricsClient). */
  metrics(timeoutMs: number): Promise<HandlerSeries[]> {
    return new Promise((resolve, reject) => {
      this.#client.metrics({}, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) return reject(toRuntimeError(err, timeoutMs));
        try {
          resolve(JSON.parse(Buffer.from(res!.seriesJson ?? "").toString("utf8") || "[]") as HandlerSeries[]);
        } catch (cause) {
          reject(new RuntimeUnavailableError("the runtime returned metrics that are not JSON", { cause }));
        }
      });
    });
  }

  close(): void {
    const current = this.#current;
    this.#current = null;
    if (current) {
      failAll(current.waiting, new RuntimeUnavailableError("the runtime client was closed"));
      current.stream.cancel();
    }
    this.#client.close();
  }
}

function answered(waiting: Map<string, Waiting>, answer: HandleAnswer__Output): void {
  const call = waiting.get(answer.callId);
  if (!call) return; // timed out already
  waiting.delete(answer.callId);
  clearTimeout(call.timer);
  if (answer.answer === "response" && answer.response) call.resolve(answer.response);
  else call.reject(new RuntimeUnavailableError(answer.unavailable || "the runtime gave the request up"));
}

function failAll(waiting: Map<string, Waiting>, err: Error): void {
  for (const [id, call] of waiting) {
    waiting.delete(id);
    clearTimeout(call.timer);
    call.reject(err);
  }
}

function toRuntimeError(err: grpc.ServiceError, timeoutMs: number): Error {
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return new RuntimeTimeoutError(timeoutMs, { cause: err });
  return new RuntimeUnavailableError(`the runtime call failed: ${err.details || err.message}`, { cause: err });
}
