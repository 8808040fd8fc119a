import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./gen/runtime.ts";
import type { RuntimeClient as GeneratedClient } from "./gen/glia/runtime/v1/Runtime.ts";
import type { HandleRequest } from "./gen/glia/runtime/v1/HandleRequest.ts";
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

/** A gRPC client for one runtime process, on its Unix socket. */
export class RuntimeClient {
  readonly #client: GeneratedClient;

  constructor(socketPath: string, maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    const Runtime = proto().glia.runtime.v1.Runtime;
    this.#client = new Runtime(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": maxMessageBytes,
      "grpc.max_send_message_length": maxMessageBytes,
    });
  }

  /** Runs one request; rejects with {@link RuntimeTimeoutError} or {@link RuntimeUnavailableError}. */
  handle(request: HandleRequest, timeoutMs: number): Promise<HandleResponse__Output> {
    return new Promise((resolve, reject) => {
      this.#client.handle(request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(toRuntimeError(err, timeoutMs));
        else resolve(res!);
      });
    });
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
    this.#client.close();
  }
}

function toRuntimeError(err: grpc.ServiceError, timeoutMs: number): Error {
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return new RuntimeTimeoutError(timeoutMs, { cause: err });
  return new RuntimeUnavailableError(`the runtime call failed: ${err.details || err.message}`, { cause: err });
}
