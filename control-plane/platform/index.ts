/**
 * @module
 * Running glia: `glia up` (local.ts), its nats-server, reconciler and worker processes, the
 * gateway and worker services, deploys and the state file. The only public surface of this
 * folder: it exports what other folders use.
 */
export { up, type Platform, type UpOptions } from "./local.ts";
export {
  alive,
  checkNatsServerVersion,
  MIN_NATS_SERVER_VERSION,
  natsServerBinary,
  parseNatsServerVersion,
  startNatsServer,
  type NatsServer,
} from "./nats-server.ts";
export { listen } from "./http.ts";
export { NatsStartError, WorkerStartError } from "./errors.ts";
export { startGatewayService } from "./gateway-service.ts";
export { checkWorkerPlan, loadWorkerSpec, modelStoreSettings, type WorkerPlan } from "./worker-plan.ts";
export { serveWorker } from "./worker-serve.ts";
export { WorkerProcess } from "./worker-process.ts";
export { CapacityLedger, cpuMillis, type Lease, type LeaseAnswer, type LeaseHolder } from "./capacity.ts";
export { leaseBroker, type LeaseBroker } from "./worker-leases.ts";
export { deployProject, provisionQueues } from "./deploy.ts";
export { Reconciler } from "./reconciler.ts";
export { readState, stateFile } from "./state.ts";
export { requeue } from "./requeue.ts";
export { connectNats, type NatsCredentials } from "./nats-connect.ts";
export { LocalNatsAuth } from "./nats-auth.ts";
export { resolveRunAs } from "./run-as.ts";
