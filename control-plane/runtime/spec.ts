/**
 * @module
 * The runtime's start-up spec, `RuntimeSpec` in runtime.proto: built from a launch with every
 * default decided here, and written as proto3 JSON for `python -m glia_runtime --spec FILE`, which
 * only parses it into the same generated message.
 */
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./client.ts";
import { HandlerType } from "./gen/glia/runtime/v1/HandlerType.ts";
import { LogLevel, type LogLevel__Output } from "./gen/glia/runtime/v1/LogLevel.ts";
import type { ModelsSpec__Output } from "./gen/glia/runtime/v1/ModelsSpec.ts";
import type { RuntimeSpec__Output } from "./gen/glia/runtime/v1/RuntimeSpec.ts";
import type { RuntimeLaunch } from "./process.ts";

/** The spec with every field present (the generated output type: nothing left to a default). */
export type RuntimeSpec = RuntimeSpec__Output;
export type { ModelsSpec__Output as ModelsSpec };

/** What a spec is made of: the parts of a {@link RuntimeLaunch} the runtime reads. */
export type RuntimeSpecSource = Pick<RuntimeLaunch, "api" | "handler" | "maxMessageBytes">;

const PROTO = fileURLToPath(new URL("../../proto/glia/runtime/v1/runtime.proto", import.meta.url));
const MESSAGE = "glia.runtime.v1.RuntimeSpec";

/** `handler.models` as cortex.yaml writes it, after control-plane/config accepted it. */
interface ModelsAsWritten {
  path?: string;
  paths?: Array<{ name?: string; path?: string; signature_key?: string }>;
  dir?: string;
  signature_key?: string;
}

let specType: protobuf.Type | undefined;

/** Builds the spec of one launch; `maxMessageBytes` defaults to {@link DEFAULT_MAX_MESSAGE_BYTES}. */
export function runtimeSpec(launch: RuntimeSpecSource): RuntimeSpec {
  const { handler } = launch;
  return {
    api: launch.api,
    handler: {
      type: HandlerType[`HANDLER_TYPE_${upper(handler.type)}`],
      path: handler.path,
      configJson: JSON.stringify(handler.config),
      pythonPath: handler.pythonPath ?? "",
      logLevel: logLevel(handler.logLevel),
      models: handler.type === "tensorflow" ? modelsSpec(handler.models) : null,
    },
    maxMessageBytes: launch.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  };
}

/** The spec as proto3 JSON text (lowerCamelCase names, enums by name), what the runtime parses. */
export function runtimeSpecJson(spec: RuntimeSpec): string {
  specType ??= protobuf.loadSync(PROTO).lookupType(MESSAGE);
  const message = specType.fromObject(spec);
  const problem = specType.verify(message); // e.g. two model sources in the oneof
  if (problem !== null) throw new TypeError(`the runtime spec of ${spec.api} is not a ${MESSAGE}: ${problem}`);
  return JSON.stringify(specType.toObject(message, { enums: String, defaults: true, json: true }));
}

function upper<T extends string>(value: T): Uppercase<T> {
  return value.toUpperCase() as Uppercase<T>;
}

function logLevel(name: string): LogLevel__Output {
  const key = `LOG_LEVEL_${name.toUpperCase()}`;
  if (key !== "LOG_LEVEL_UNSPECIFIED" && Object.hasOwn(LogLevel, key)) return LogLevel[key as keyof typeof LogLevel];
  throw new RangeError(`handler.log_level ${JSON.stringify(name)} has no LogLevel in runtime.proto`);
}

/** `handler.models` as written, in the proto's shape; config has checked it has one source. */
function modelsSpec(models: unknown): ModelsSpec__Output {
  const written = (models ?? {}) as ModelsAsWritten;
  const signatureKey = written.signature_key ?? "";
  if (written.path !== undefined) return { path: written.path, signatureKey };
  if (written.dir !== undefined) return { dir: written.dir, signatureKey };
  const entries = (written.paths ?? []).map((entry) => ({
    name: entry.name ?? "",
    path: entry.path ?? "",
    signatureKey: entry.signature_key ?? "",
  }));
  return { paths: { entries }, signatureKey };
}
