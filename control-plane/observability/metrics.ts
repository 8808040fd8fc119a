import { AggregatorRegistry, type Registry } from "prom-client";

/** One metric family as prom-client serialises it (`registry.getMetricsAsJSON()`). */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  aggregator: "sum" | "first" | "min" | "max" | "average" | "omit";
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/** The Prometheus text exposition content type. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Merges metric families gathered from several processes (the gateway, each worker) into one
 * exposition: series with the same name and labels are combined by their family's aggregator
 * (counters and histograms add up).
 */
export async function exposition(parts: MetricFamily[][]): Promise<string> {
  const merged = AggregatorRegistry.aggregate(parts.filter((p) => p.length > 0)) as Registry;
  return merged.metrics();
}

/** A registry's families, ready to send to another process. */
export async function families(registry: Registry): Promise<MetricFamily[]> {
  return (await registry.getMetricsAsJSON()) as unknown as MetricFamily[];
}
