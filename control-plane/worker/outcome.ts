import type { HandleResponse } from "../runtime/index.ts";
import { failureTypeOf, type RequestError } from "../jobs/index.ts";

/** What a runtime call came to, from the worker's point of view. */
export type Outcome =
  { kind: "completed"; result: Record<string, unknown> } | { kind: "failed"; error: RequestError; traceback?: string };

/** Longest exception message kept on a record; the traceback (logged) has the whole one. */
export const MAX_ERROR_MESSAGE_CHARS = 16 * 1024;

/** Reads a runtime's response; a result that is not a JSON object is a failure, not a crash. */
export function outcomeOf(response: HandleResponse): Outcome {
  if (response.outcome === "failure" && response.failure) {
    const { type, traceback } = response.failure;
    let message = response.failure.message;
    if (message.length > MAX_ERROR_MESSAGE_CHARS)
      message = `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${message.length} characters in all; the traceback in the log has the rest)`;
    return { kind: "failed", error: { type: failureTypeOf(type), message }, traceback };
  }
  try {
    const result: unknown = JSON.parse(Buffer.from(response.resultJson ?? "").toString("utf8"));
    if (result && typeof result === "object" && !Array.isArray(result))
      return { kind: "completed", result: result as Record<string, unknown> };
    return invalid(`the runtime returned a ${Array.isArray(result) ? "list" : typeof result}, not a JSON object`);
  } catch (err) {
    return invalid(`the runtime returned a result that is not JSON: ${(err as Error).message}`);
  }
}

function invalid(message: string): Outcome {
  return { kind: "failed", error: { type: "InvalidResultError", message } };
}
