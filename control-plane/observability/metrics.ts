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

/** Prometheus' rule for metric names. */
export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Prometheus' rule for label names (names starting `__` are also reserved by Prometheus). */
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const TYPES: ReadonlySet<unknown> = new Set(["counter", "gauge", "histogram", "summary"]);
const AGGREGATORS: ReadonlySet<unknown> = new Set(["sum", "first", "min", "max", "average", "omit"]);

/**
 * Says why a label name cannot be written into the exposition, or returns null when it can.
 *
 * @example labelNameProblem('a"}') // "must match [a-zA-Z_][a-zA-Z0-9_]*"
 */
export function labelNameProblem(name: string): string | null {
  if (!LABEL_NAME_PATTERN.test(name)) return "must match [a-zA-Z_][a-zA-Z0-9_]*";
  if (name.startsWith("__")) return "must not start with __ (reserved by Prometheus)";
  return null;
}

/**
 * Merges metric families gathered from several processes (the gateway, each worker) into one
 * exposition: series with the same name and labels are combined by their family's aggregator
 * (counters and histograms add up).
 *
 * The families from workers arrive over NATS, so they are checked before anything is written:
 * a family or a sample whose name, label names, type or value prom-client would write as it
 * is (it escapes only HELP text and label values) is left out, so no part can forge a line or
 * make the page unreadable. Workers log what they drop from handlers (`handlerFamilies`).
 */
export async function exposition(parts: MetricFamily[][]): Promise<string> {
  const clean = parts.filter(Array.isArray).map(renderable);
  const merged = AggregatorRegistry.aggregate(clean.filter((p) => p.length > 0)) as Registry;
  return merged.metrics();
}

/** A registry's families, ready to send to another process. */
export async function families(registry: Registry): Promise<MetricFamily[]> {
  return (await registry.getMetricsAsJSON()) as unknown as MetricFamily[];
}

function renderable(part: unknown[]): MetricFamily[] {
  const kept: MetricFamily[] = [];
  for (const family of part) {
    if (!isFamilyShell(family)) continue;
    const values = family.values.filter(isSample);
    if (values.length > 0) kept.push({ ...family, values });
  }
  return kept;
}

function isFamilyShell(f: unknown): f is MetricFamily {
  if (typeof f !== "object" || f === null) return false;
  const { name, help, type, aggregator, values } = f as Record<string, unknown>;
  return (
    typeof name === "string" &&
    METRIC_NAME_PATTERN.test(name) &&
    typeof help === "string" &&
    TYPES.has(type) &&
    AGGREGATORS.has(aggregator) &&
    Array.isArray(values)
  );
}

function isSample(v: unknown): v is MetricFamily["values"][number] {
  if (typeof v !== "object" || v === null) return false;
  const { value, labels, metricName } = v as Record<string, unknown>;
  if (typeof value !== "number") return false;
  if (metricName !== undefined && (typeof metricName !== "string" || !METRIC_NAME_PATTERN.test(metricName))) {
    return false;
  }
  return typeof labels === "object" && labels !== null && Object.entries(labels).every(isLabel);
}

function isLabel([name, value]: [string, unknown]): boolean {
  const printable = typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
  return printable && labelNameProblem(name) === null;
}
