import type { QueuedRequest, RequestRecord } from "../jobs/index.ts";

/**
 * Which attempt a delivery is: JetStream's delivery count, or one past the attempt an
 * `in_progress` record shows, whichever is higher. The record guards against a delivery count
 * that went back to 1 (nats-server 2.9 resets it when a redelivery to a dead client's pull fails).
 */
export function attemptOf(request: Pick<QueuedRequest, "deliveryCount">, record: RequestRecord, atLeast = 0): number {
  const afterRecorded = record.status === "in_progress" ? record.attempts + 1 : 0;
  return Math.max(request.deliveryCount, afterRecorded, atLeast);
}
