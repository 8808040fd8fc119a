/**
 * @module
 * Leases over a worker's IPC channel (`glia up`): the worker asks for runtimes' shares of the
 * machine and gives them back; the platform answers each request at once. What a worker sends is
 * untrusted input to the platform, checked here before the ledger sees it.
 */
import { z } from "zod";
import type { Lease, LeaseAnswer } from "./capacity.ts";

/** A worker's word about leases: `want` more (answered by a `leased` with the same `id`), or these back. */
export type LeaseRequest = { type: "lease"; id: number; want: number } | { type: "release"; leases: string[] };

/** The platform's answer to a `lease` request. */
export interface LeaseReply extends LeaseAnswer {
  type: "leased";
  id: number;
}

/** What the worker of a leased plan needs to talk to the platform. */
export interface LeaseChannel {
  /** Asks for `want` more leases; the answer comes at once, possibly with none, and says why. */
  lease(want: number): Promise<LeaseAnswer>;
  /** Gives leases back (their runtimes have exited). */
  release(ids: readonly string[]): void;
}

/** The most leases one request may ask for or give back. */
const MAX_LEASES = 10_000;

const leaseId = z.string().regex(/^[\w#.:-]{1,64}$/);
/** A CUDA device id (`0`, `GPU-8a1f…`, `MIG-…`). */
export const deviceId = z.string().regex(/^[\w:-]+$/);
/** A lease as the platform sends it to a worker. */
export const leaseSchema = z.strictObject({ id: leaseId, devices: z.array(deviceId) });
const leaseRequest = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("lease"),
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    want: z.number().int().min(0).max(MAX_LEASES),
  }),
  z.strictObject({ type: z.literal("release"), leases: z.array(leaseId).max(MAX_LEASES) }),
]);

/** Whether `message` is about leases (it may still be malformed). */
export function isLeaseMessage(message: unknown): boolean {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "lease" || type === "release";
}

/** `message` checked as a lease request, or the problem with it. */
export function checkLeaseRequest(message: unknown): LeaseRequest | { problem: string } {
  const parsed = leaseRequest.safeParse(message);
  if (parsed.success) return parsed.data;
  return { problem: parsed.error.issues.map((i) => `${i.path.join(".") || "the message"}: ${i.message}`).join("; ") };
}

/** How long a worker waits for the platform's answer (it comes at once) before it goes on without. */
export const LEASE_ANSWER_TIMEOUT_MS = 10_000;

/** The two ends of an IPC channel as the worker sees them (`process.send`, `process.on("message")`). */
export interface LeasePort {
  send(message: LeaseRequest): void;
  onMessage(listener: (message: unknown) => void): void;
}

/**
 * The worker's end: each request gets its own id; a request the platform does not answer in
 * time is given up as granting nothing, and leases that answer brings later go straight back.
 */
export function leaseChannel(port: LeasePort, timeoutMs = LEASE_ANSWER_TIMEOUT_MS): LeaseChannel {
  const waiting = new Map<number, (answer: LeaseAnswer) => void>();
  let serial = 0;
  port.onMessage((message) => {
    const reply = message as Partial<LeaseReply> | null;
    if (reply?.type !== "leased" || typeof reply.id !== "number") return;
    const granted: Lease[] = reply.granted ?? [];
    const done = waiting.get(reply.id);
    if (!done) return granted.length > 0 ? port.send({ type: "release", leases: granted.map((l) => l.id) }) : undefined;
    waiting.delete(reply.id);
    done({ granted, held: reply.held ?? null });
  });
  return {
    lease: (want) =>
      new Promise((resolve) => {
        const id = ++serial;
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve({ granted: [], held: `the platform did not answer a request for runtimes within ${timeoutMs} ms` });
        }, timeoutMs);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        port.send({ type: "lease", id, want });
      }),
    release: (ids) => {
      if (ids.length > 0) port.send({ type: "release", leases: [...ids] });
    },
  };
}
