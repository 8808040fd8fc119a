/**
 * @module
 * The `glia` section: glia's own settings for an API, which Cortex did not have.
 */
import { greaterThanOrEqual } from "./messages.ts";
import { checkDuration } from "./resolve-values.ts";
import type { RawGlia } from "./schema.ts";
import type { Scope } from "./scope.ts";
import type { ResolvedGlia, ResolvedRetries } from "./types.ts";

export const DEFAULT_RETRIES: ResolvedRetries = { maxAttempts: 3, backoffSeconds: 1, onHandlerError: false };

/** Checks `glia`, filling in the defaults. */
export function resolveGlia(scope: Scope, raw: RawGlia): ResolvedGlia {
  const max = raw.max_queued_requests ?? null;
  if (max !== null && max < 1) scope.report("glia.max_queued_requests", greaterThanOrEqual(max, 1));
  const timeout = raw.timeout ?? null;
  const timeoutSeconds =
    timeout === null ? null : (checkDuration(scope, "glia.timeout", timeout, "1h", { min: "1s" }) ?? null);
  return { maxQueuedRequests: max, timeoutSeconds, retries: resolveRetries(scope, raw.retries ?? {}) };
}

function resolveRetries(scope: Scope, raw: NonNullable<RawGlia["retries"]>): ResolvedRetries {
  const attempts = raw.max_attempts ?? DEFAULT_RETRIES.maxAttempts;
  if (attempts < 1) scope.report("glia.retries.max_attempts", greaterThanOrEqual(attempts, 1));
  const backoff = checkDuration(scope, "glia.retries.backoff", raw.backoff, "1s", { min: "0s" });
  return {
    maxAttempts: attempts,
    backoffSeconds: backoff ?? DEFAULT_RETRIES.backoffSeconds,
    onHandlerError: raw.on_handler_error ?? DEFAULT_RETRIES.onHandlerError,
  };
}
