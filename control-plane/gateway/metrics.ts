import { Counter, Gauge, Registry } from "prom-client";
import { families, type MetricFamily } from "../observability/index.ts";
import type { QueueDepth, Routes } from "./ports.ts";

/** The gateway's own series: requests accepted, and each API's queue depth at scrape time. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly submitted: Counter<"api">;

  constructor(routes: Pick<Routes, "routes">, queue: QueueDepth) {
    this.submitted = new Counter({
      name: "glia_submitted_total",
      help: "Requests accepted (answered 200 with an id), by API.",
      labelNames: ["api"],
      registers: [this.registry],
    });
    new Gauge({
      name: "glia_queue_depth",
      help: "Requests waiting for a worker, by API.",
      labelNames: ["api"],
      aggregator: "max",
      registers: [this.registry],
      async collect() {
        for (const { api } of routes.routes) this.set({ api }, await queue.pending(api).catch(() => 0));
      },
    });
  }

  async families(): Promise<MetricFamily[]> {
    return families(this.registry);
  }
}
