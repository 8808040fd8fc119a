export { ApiWorker, DEFAULT_REQUEST_TIMEOUT_MS, maxDeliveries, type WorkerOptions } from "./worker.ts";
export { outcomeOf, type Outcome } from "./outcome.ts";
export { WorkerMetrics, handlerFamilies, warnOnce } from "./metrics.ts";
