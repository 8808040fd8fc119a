export { up, type Platform, type ServedApi, type UpOptions } from "./local.ts";
export {
  alive,
  checkNatsServerVersion,
  MIN_NATS_SERVER_VERSION,
  natsServerBinary,
  parseNatsServerVersion,
  startNatsServer,
  LOCAL_MAX_PAYLOAD_BYTES,
  type NatsServer,
  type NatsServerOptions,
} from "./nats-server.ts";
export { listen, type Listener } from "./http.ts";
export { NatsStartError, PlatformConfigError, WorkerStartError } from "./errors.ts";
export { startGatewayService, type GatewayService, type GatewayServiceOptions } from "./gateway-service.ts";
export { startWorkerService, type WorkerService } from "./worker-service.ts";
export { checkWorkerPlan, loadWorkerSpec, type WorkerPlan } from "./worker-plan.ts";
export { serveWorker, type ParentMessage, type WorkerMessage } from "./worker-serve.ts";
export { detectGpus, GpuAllocator, type GpuAssignment } from "./gpus.ts";
export { WorkerProcess, type WorkerProcessOptions } from "./worker-process.ts";
export { deployProject, type DeployAction, type DeployResult } from "./deploy.ts";
export { bundleProject, unpackBundle, type Bundle } from "./bundle.ts";
export { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
export { readState, stateFile, type PlatformState } from "./state.ts";
export { requeue, NotDeadLetteredError } from "./requeue.ts";
export { connectNats, credentialsFromEnv, parseServers, redactUrl, type NatsCredentials } from "./nats-connect.ts";
export { LocalNatsAuth, type NatsIdentity } from "./nats-auth.ts";
export { checkRunAs, resolveRunAs } from "./run-as.ts";
