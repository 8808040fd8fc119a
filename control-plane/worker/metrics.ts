import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { families, type MetricFamily } from "../observability/index.ts";
import type { HandlerSeries } from "../runtime/index.ts";

/** glia's own series for one worker process. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "glia_requests_total",
    help: "Requests that ended, by API and final status (completed or failed).",
    labelNames: ["api", "status"],
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: "glia_handler_duration_seconds",
    help: "Time spent in handle_async, by API.",
    labelNames: ["api"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800, 3600],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "glia_requests_in_flight",
    help: "Requests a worker is running now, by API.",
    labelNames: ["api"],
    registers: [this.registry],
  });
  readonly redeliveries = new Counter({
    name: "glia_redeliveries_total",
    help: "Requests handed back to the queue because their runtime died, by API.",
    labelNames: ["api"],
    registers: [this.registry],
  });

  /** The worker's own families. */
  async families(): Promise<MetricFamily[]> {
    return families(this.registry);
  }
}

/**
 * Turns what handlers recorded with `metrics_client` into metric families: the tags become
 * labels, with `api` and `replica` added so each runtime's series stays its own.
 */
export function handlerFamilies(
  api: string,
  perReplica: Array<{ replica: number; series: HandlerSeries[] }>,
): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const { replica, series } of perReplica) {
    for (const s of series) {
      const family = byName.get(s.name) ?? newFamily(s);
      byName.set(s.name, family);
      family.values.push(...valuesOf(s, { ...s.tags, api, replica: String(replica) }));
    }
  }
  return [...byName.values()];
}

function newFamily(s: HandlerSeries): MetricFamily {
  const type = s.kind === "counter" ? "counter" : s.kind === "gauge" ? "gauge" : "histogram";
  return {
    name: s.name,
    help: `${s.name} (recorded by the handler's metrics_client)`,
    type,
    aggregator: "sum",
    values: [],
  };
}

function valuesOf(s: HandlerSeries, labels: Record<string, string>): MetricFamily["values"] {
  if (s.kind !== "histogram") return [{ value: s.value ?? 0, labels }];
  const buckets = (s.buckets ?? []).map(([le, count]) => ({
    value: count,
    labels: { ...labels, le },
    metricName: `${s.name}_bucket`,
  }));
  return [
    ...buckets,
    { value: s.count, labels: { ...labels, le: "+Inf" }, metricName: `${s.name}_bucket` },
    { value: s.sum ?? 0, labels, metricName: `${s.name}_sum` },
    { value: s.count, labels, metricName: `${s.name}_count` },
  ];
}
