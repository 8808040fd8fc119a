import type { GliaError } from "../errors.ts";
import { createLogger } from "../observability/index.ts";
import {
  parseGpus,
  resolveRunAs,
  startWorkerService,
  type ParentMessage,
  type WorkerMessage,
  type WorkerService,
} from "../platform/index.ts";
import { positiveNumber, wholeNumber } from "./flags.ts";

export interface WorkerFlags {
  project: string;
  api: string;
  natsUrl: string;
  python: string;
  requestTimeout?: string;
  ackWaitMs?: string;
  resultTtlMs?: string;
  chainAddress?: string;
  specFile?: string;
  replicas?: string;
  gpus?: string;
  provisioned?: boolean;
  runAs?: string;
  grace: string;
  logLevel: string;
}

/**
 * `glia worker`: one API's worker and runtimes in this process. `glia up` starts one per API;
 * in a cluster it is a worker pod's entry point. Stops on SIGTERM/SIGINT (or its parent's word),
 * finishing running requests first.
 */
export async function runWorker(flags: WorkerFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel });
  const optional = (flag: string, text: string | undefined): number | undefined =>
    text === undefined ? undefined : positiveNumber(flag, text);
  const timeoutSeconds = optional("--request-timeout", flags.requestTimeout);
  let service: WorkerService;
  try {
    service = await startWorkerService({
      projectDir: flags.project,
      api: flags.api,
      natsUrl: flags.natsUrl,
      python: flags.python,
      logger,
      requestTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      ackWaitMs: optional("--ack-wait-ms", flags.ackWaitMs),
      resultTtlMs: optional("--result-ttl-ms", flags.resultTtlMs),
      chainAddress: flags.chainAddress,
      specFile: flags.specFile,
      replicas: flags.replicas === undefined ? undefined : wholeNumber("--replicas", flags.replicas),
      gpus: flags.gpus === undefined ? undefined : parseGpus(flags.gpus),
      provisioned: flags.provisioned,
      runAs: flags.runAs === undefined ? undefined : await resolveRunAs(flags.runAs),
    });
  } catch (err) {
    tell({ type: "failed", code: (err as GliaError).code ?? "WORKER_START_FAILED", message: (err as Error).message });
    throw err;
  }
  tell({ type: "ready" });
  logger.info({ api: flags.api }, "worker ready");
  const graceMs = positiveNumber("--grace", flags.grace) * 1000;
  const requested = await stopRequested(graceMs);
  await service.stop(requested);
  logger.flush();
  process.exit(0);
}

function tell(message: WorkerMessage): void {
  process.send?.(message);
}

/** Resolves with the grace period to use once a signal or the parent asks to stop. */
function stopRequested(defaultGraceMs: number): Promise<number> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve(defaultGraceMs));
    process.once("SIGINT", () => resolve(defaultGraceMs));
    process.on("message", (m: ParentMessage) => {
      if (m.type === "stop") resolve(m.graceMs);
    });
    process.once("disconnect", () => resolve(0)); // the parent is gone: hand everything back now
  });
}
