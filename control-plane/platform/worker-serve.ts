/**
 * @module
 * The life of one worker process, however it was started: `glia up` starts `worker-main.ts` and
 * sends it a plan over the IPC channel; a cluster's pods run `glia worker`, which builds the plan
 * from its flags. Either way the worker starts, says whether it is ready, and stops on SIGTERM,
 * SIGINT or its parent's word, finishing running requests first.
 */
import type { GliaError } from "../errors.ts";
import type { Logger } from "../observability/index.ts";
import type { WorkerPlan } from "./worker-plan.ts";
import { startWorkerService, type WorkerScale } from "./worker-service.ts";
import { leaseChannel, type LeaseChannel, type LeaseReply, type LeaseRequest } from "./lease-protocol.ts";

/** Messages a worker process sends its parent over the IPC channel. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "failed"; code: string; message: string }
  | { type: "progress"; line: string }
  | { type: "scale"; scale: WorkerScale }
  | LeaseRequest;
/**
 * Messages the parent sends a worker process: its plan first, then answers to its requests for
 * leases, perhaps the word to stop.
 */
export type ParentMessage = { type: "plan"; plan: WorkerPlan } | { type: "stop"; graceMs: number } | LeaseReply;

/** Serves `plan` until told to stop, then stops gracefully; rejects if the worker cannot start. */
export async function serveWorker(plan: WorkerPlan, logger: Logger): Promise<void> {
  const stopping = stopRequested(plan.durations.stopGraceMs);
  let service;
  try {
    service = await startWorkerService(
      plan,
      logger,
      {
        onProgress: (line) => {
          logger.info({ api: plan.spec.name }, line);
          void tell({ type: "progress", line });
        },
        onScale: (scale) => void tell({ type: "scale", scale }),
      },
      plan.leases ? parentLeases() : undefined,
    );
  } catch (err) {
    const code = (err as GliaError).code ?? "WORKER_START_FAILED";
    await tell({ type: "failed", code, message: (err as Error).message });
    throw err;
  }
  await tell({ type: "ready" });
  logger.info({ api: plan.spec.name }, "worker ready");
  await service.stop(await stopping);
  logger.flush();
}

/** Leases from the parent over the IPC channel (`glia up`). */
function parentLeases(): LeaseChannel {
  return leaseChannel({
    send: (message) => void tell(message),
    onMessage: (listener) => process.on("message", listener),
  });
}

/** Sends `message` to the parent, if there is one; resolves once it is handed over. */
export function tell(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Resolves with the grace period to use once a signal or the parent asks to stop. */
function stopRequested(defaultGraceMs: number): Promise<number> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve(defaultGraceMs));
    process.once("SIGINT", () => resolve(defaultGraceMs));
    process.on("message", (m: ParentMessage) => {
      if (m.type === "stop") resolve(m.graceMs);
    });
    if (process.send) process.once("disconnect", () => resolve(0)); // the parent is gone: hand everything back now
  });
}
