import type { QueuedRequest, RequestRecord } from "../jobs/index.ts";

/**
 * Which attempt a delivery is: JetStream's delivery count, or one past the attempt an
 * `in_progress` record shows, whichever is higher. The record is the request's own history, so the
 * attempt limit holds even where the consumer's count starts again: a consumer deleted and made
 * again, or on a cluster a new consumer leader that missed the last deliveries (the case
 * `trustFirstDelivery` covers for ended requests).
 */
export function attemptOf(request: Pick<QueuedRequest, "deliveryCount">, record: RequestRecord, atLeast = 0): number {
  const afterRecorded = record.status === "in_progress" ? record.attempts + 1 : 0;
  return Math.max(request.deliveryCount, afterRecorded, atLeast);
}
