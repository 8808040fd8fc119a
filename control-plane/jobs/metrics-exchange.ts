import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger, MetricFamily } from "../observability/index.ts";

/** Every worker process answers scrapes on this subject (no queue group: all of them answer). */
const SCRAPE_SUBJECT = "glia.metrics.scrape";

/** Answers scrapes with this process's metric families until the subscription is closed. */
export function answerScrapes(
  nc: NatsConnection,
  provide: () => Promise<MetricFamily[]>,
  logger: Logger,
): Subscription {
  return nc.subscribe(SCRAPE_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      provide()
        .then((f) => msg.respond(JSON.stringify(f)))
        .catch((cause: unknown) => logger.warn({ err: cause }, "could not answer a metrics scrape"));
    },
  });
}

/**
 * Asks every worker process for its metric families. Collects answers until none has come for
 * `stallMs` after the last one, or `maxWaitMs` in all; a worker that does not answer is left out.
 */
export async function scrapeWorkers(nc: NatsConnection, maxWaitMs = 1_000, stallMs = 100): Promise<MetricFamily[][]> {
  const answers: MetricFamily[][] = [];
  try {
    const replies = await nc.requestMany(SCRAPE_SUBJECT, "", { strategy: "stall", maxWait: maxWaitMs, stall: stallMs });
    for await (const reply of replies) answers.push(reply.json<MetricFamily[]>());
  } catch {
    // no worker answered (no responders) or the wait ended: serve what came
  }
  return answers;
}
