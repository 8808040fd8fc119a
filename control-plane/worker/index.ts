export { ApiWorker, maxDeliveries } from "./worker.ts";
export { WorkerMetrics, handlerFamilies, warnOnce } from "./metrics.ts";
