import { Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  families,
  labelNameProblem,
  METRIC_NAME_PATTERN,
  type Logger,
  type MetricFamily,
} from "../observability/index.ts";
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
  readonly replicas = new Gauge({
    name: "glia_replicas",
    help: "Runtimes of an API, by state: requested (by the autoscaler) or ready (serving).",
    labelNames: ["api", "state"],
    registers: [this.registry],
  });
  readonly recommendation = new Gauge({
    name: "glia_autoscaler_recommendation",
    help: "The replicas the autoscaler recommended at its last tick, before the stabilization periods.",
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

/** Prefixes of glia's own series; a handler series may not take them. */
const RESERVED_PREFIXES = ["cortex_", "glia_"];
/** Labels glia adds to handler series (api, replica; le on histogram buckets), and Prometheus' quantile. */
const RESERVED_LABELS: ReadonlySet<string> = new Set(["api", "replica", "le", "quantile"]);
const KINDS: ReadonlySet<unknown> = new Set(["gauge", "counter", "histogram"]);

/** Receives the reason a handler series was left out of `/metrics`. */
export type DroppedSeries = (problem: string) => void;

/**
 * Turns what handlers recorded with `metrics_client` into metric families: the tags become
 * labels, with `api` and `replica` added so each runtime's series stays its own.
 *
 * The runtime checks names and tags when the handler records them, but what comes back over
 * gRPC is checked again: a series with an invalid name, label name or value never reaches the
 * exposition, and `dropped` is told why.
 */
export function handlerFamilies(
  api: string,
  perReplica: Array<{ replica: number; series: HandlerSeries[] }>,
  dropped: DroppedSeries,
): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const { replica, series } of perReplica) {
    for (const s of Array.isArray(series) ? (series as unknown[]) : []) {
      const problem = seriesProblem(s, byName);
      if (problem !== null) {
        dropped(`replica ${replica}: ${problem}`);
        continue;
      }
      const valid = s as HandlerSeries;
      const family = byName.get(valid.name) ?? newFamily(valid);
      byName.set(valid.name, family);
      family.values.push(...valuesOf(valid, { ...valid.tags, api, replica: String(replica) }));
    }
  }
  return [...byName.values()];
}

/**
 * Logs each distinct dropped series once per process at warn (scrapes repeat every few
 * seconds); after `limit` distinct problems the rest are dropped without a line.
 */
export function warnOnce(logger: Logger, limit = 100): DroppedSeries {
  const seen = new Set<string>();
  return (problem) => {
    if (seen.has(problem) || seen.size >= limit) return;
    seen.add(problem);
    logger.warn({ problem }, "a handler metric series was left out of /metrics");
  };
}

function seriesProblem(s: unknown, byName: Map<string, MetricFamily>): string | null {
  if (typeof s !== "object" || s === null) return "a series is not an object";
  const { kind, name, tags } = s as Record<string, unknown>;
  if (typeof name !== "string") return "a series has no name";
  const metric = `metric ${shown(name)}`;
  if (!METRIC_NAME_PATTERN.test(name)) return `${metric}: the name must match [a-zA-Z_:][a-zA-Z0-9_:]*`;
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${metric}: the prefix ${prefix} is reserved for glia's own series`;
  if (!KINDS.has(kind)) return `${metric}: unknown kind ${shown(kind)}`;
  const family = byName.get(name);
  if (family && family.type !== typeOf(kind as HandlerSeries["kind"])) {
    return `${metric}: recorded as a ${family.type} by another replica, here as a ${String(kind)}`;
  }
  return tagsProblem(metric, tags) ?? numbersProblem(metric, s as Record<string, unknown>);
}

function tagsProblem(metric: string, tags: unknown): string | null {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) return `${metric}: tags are not an object`;
  for (const [key, value] of Object.entries(tags)) {
    const problem = RESERVED_LABELS.has(key) ? "glia adds this label itself" : labelNameProblem(key);
    if (problem !== null) return `${metric}: tag key ${shown(key)} ${problem}`;
    if (typeof value !== "string") return `${metric}: the value of tag ${shown(key)} is not a string`;
  }
  return null;
}

function numbersProblem(metric: string, s: Record<string, unknown>): string | null {
  const finite = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
  if (!finite(s["count"])) return `${metric}: count is not a finite number`;
  if (s["kind"] !== "histogram") return finite(s["value"]) ? null : `${metric}: value is not a finite number`;
  if (!finite(s["sum"])) return `${metric}: sum is not a finite number`;
  const buckets = s["buckets"];
  const pairs = Array.isArray(buckets) && buckets.every((b) => Array.isArray(b) && b.length === 2 && b.every(finite));
  return pairs ? null : `${metric}: buckets are not [upper bound, count] pairs of finite numbers`;
}

/** A value from the runtime as a log shows it: JSON-quoted, and cut at 100 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function typeOf(kind: HandlerSeries["kind"]): MetricFamily["type"] {
  return kind === "counter" ? "counter" : kind === "gauge" ? "gauge" : "histogram";
}

function newFamily(s: HandlerSeries): MetricFamily {
  return {
    name: s.name,
    help: `${s.name} (recorded by the handler's metrics_client)`,
    type: typeOf(s.kind),
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
