/**
 * @module
 * The entry point of the worker processes `glia up` starts (see worker-process.ts): it waits for
 * its plan on the IPC channel, checks it, and serves it. A cluster's pods run `glia worker` instead.
 */
import { createLogger } from "../observability/index.ts";
import { checkWorkerPlan, type WorkerPlan } from "./worker-plan.ts";
import { serveWorker, tell, type ParentMessage } from "./worker-serve.ts";

if (!process.send) {
  process.stderr.write("worker-main.ts is started by glia up with an IPC channel; run `glia worker` instead\n");
  process.exit(2);
}

const received = await new Promise<unknown>((resolve) => {
  const orphaned = (): never => process.exit(0); // the parent went before sending a plan
  const onMessage = (m: ParentMessage): void => {
    if (m.type !== "plan") return;
    process.off("message", onMessage);
    process.off("disconnect", orphaned);
    resolve(m.plan);
  };
  process.on("message", onMessage);
  process.once("disconnect", orphaned);
});

let plan: WorkerPlan;
try {
  plan = checkWorkerPlan(received);
} catch (err) {
  await tell({ type: "failed", code: "WORKER_PLAN_REFUSED", message: (err as Error).message });
  process.exit(1);
}

try {
  await serveWorker(plan, createLogger({ level: plan.logLevel }));
  process.exit(0);
} catch (err) {
  // The parent has been told why; the log says it too.
  process.stderr.write(`glia worker ${plan.spec.name}: ${(err as Error).message}\n`);
  process.exit(1);
}
