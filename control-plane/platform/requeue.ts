import { GliaError } from "../errors.ts";
import type { DeadLetters, ResultStore, WorkQueue } from "../jobs/index.ts";

/** `glia requeue` was asked for a request that is not dead-lettered. */
export class NotDeadLetteredError extends GliaError {
  constructor(api: string, id: string) {
    super("NOT_DEAD_LETTERED", `${api} has no failed request ${id} to requeue (it did not fail, or it expired)`);
  }
}

/**
 * Puts a failed request back in the queue with its original payload and id: the record goes back
 * to `in_queue` (attempts start again), the message is queued, and the dead letter is removed.
 */
export async function requeue(
  api: string,
  id: string,
  parts: { store: ResultStore; queue: WorkQueue; deadLetters: DeadLetters },
): Promise<void> {
  const letter = await parts.deadLetters.get(api, id);
  const stored = await parts.store.get(api, id);
  if (!letter || !stored || stored.record.status !== "failed") throw new NotDeadLetteredError(api, id);
  const reopened = await parts.store.reopen(stored);
  const { payload, contentType, headers, payloadStored } = letter;
  const queued = { revision: reopened.revision, createdAt: reopened.record.createdAt };
  // A new de-duplication id: the first attempt's message may still be inside JetStream's window.
  const msgId = `${id}.${reopened.revision}`;
  await parts.queue.publish(api, { id, payload, contentType, headers, queued, msgId, payloadStored });
  await parts.deadLetters.remove(api, id);
}
