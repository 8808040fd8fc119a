export { ApiWorker, maxDeliveries } from "./worker.ts";
export { WorkerMetrics, handlerFamilies, warnOnce } from "./metrics.ts";
export { autoscaleSettings, TICK_MS } from "./autoscale.ts";
export { AutoscaleLoop, type ScaleState } from "./autoscale-loop.ts";
