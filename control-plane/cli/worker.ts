import { createLogger } from "../observability/index.ts";
import {
  checkWorkerPlan,
  loadWorkerSpec,
  modelStoreSettings,
  resolveRunAs,
  serveWorker,
  type WorkerPlan,
} from "../platform/index.ts";
import { TICK_MS } from "../worker/index.ts";
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
  logLevel: WorkerPlan["logLevel"];
}

/**
 * `glia worker`: one API's worker and runtimes in this process, a cluster's worker pod's entry
 * point. Builds the same plan `glia up` sends its worker processes, from the flags and the
 * environment (NATS credentials), and serves it until SIGTERM/SIGINT.
 */
export async function runWorker(flags: WorkerFlags): Promise<void> {
  const optional = (flag: string, text: string | undefined, scale = 1): number | null =>
    text === undefined ? null : Math.round(positiveNumber(flag, text) * scale);
  const spec = await loadWorkerSpec(flags.project, flags.api, flags.specFile);
  const plan: WorkerPlan = {
    spec,
    projectDir: flags.project,
    python: flags.python,
    nats: {
      url: flags.natsUrl,
      credentials: null,
      replicas: flags.replicas === undefined ? 1 : wholeNumber("--replicas", flags.replicas),
      provisioned: flags.provisioned ?? false,
    },
    durations: {
      requestTimeoutMs: optional("--request-timeout", flags.requestTimeout, 1000),
      ackWaitMs: optional("--ack-wait-ms", flags.ackWaitMs),
      resultTtlMs: optional("--result-ttl-ms", flags.resultTtlMs),
      autoscaleTickMs: TICK_MS,
      stopGraceMs: Math.round(positiveNumber("--grace", flags.grace) * 1000),
    },
    gpus: flags.gpus === undefined ? null : parseGpus(flags.gpus),
    chainAddress: flags.chainAddress ?? null,
    runAs: flags.runAs === undefined ? null : await resolveRunAs(flags.runAs),
    modelStore: modelStoreSettings(spec, process.env),
    logLevel: flags.logLevel,
  };
  await serveWorker(checkWorkerPlan(plan), createLogger({ level: flags.logLevel }));
  process.exit(0);
}

/** `--gpus`: each runtime's devices, runtimes apart by ";" and devices by "," (`0,1;2,3`; `;` for two with none). */
export function parseGpus(text: string): string[][] {
  return text.split(";").map((part) =>
    part
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== ""),
  );
}
