import type { ResolvedApiSpec } from "../config/index.ts";
import type { DeadLetters, WorkQueue } from "../jobs/index.ts";
import { maxDeliveries } from "../worker/index.ts";

/**
 * Creates (or updates to `spec`) an API's dead-letter stream and queue: the one place their
 * settings come from, whether `glia up`, a worker or `glia deploy --provision` makes them.
 */
export async function ensureApiQueues(
  spec: Pick<ResolvedApiSpec, "name" | "glia">,
  queue: WorkQueue,
  deadLetters: DeadLetters | undefined,
): Promise<void> {
  await deadLetters?.ensure(spec.name);
  await queue.ensure(spec.name, {
    maxQueued: spec.glia.maxQueuedRequests,
    maxDeliver: maxDeliveries(spec.glia.retries),
  });
}
