/**
 * Load for the fault-injection cases: send requests to a handler that logs each run to a file,
 * then count how each one ended and print one summary line per case.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadProject } from "../../control-plane/config/index.ts";
import { up, type Platform, type UpOptions } from "../../control-plane/platform/index.ts";
import { silentLogger } from "../../control-plane/observability/index.ts";
import { get, post, type Answer } from "./http.ts";
import { FIXTURES } from "./platform.ts";

/** Requests per case. */
export const LOAD = 1000;
const CONCURRENCY = 32;

export interface Tally {
  completed: number;
  failed: number;
  /** Ids that got an answer with an id but never ended. */
  lost: string[];
  /** The `error.type` of each failed request, by id. */
  errors: Map<string, string>;
}

/** The platform on a NATS the test started, serving the given fixture projects, keeping its files in `dataDir`. */
export async function upOn(
  natsUrl: string,
  dataDir: string,
  fixtures: string[],
  options: Partial<UpOptions> = {},
): Promise<Platform> {
  process.env["GLIA_STATE_FILE"] ??= join(dataDir, "state.json");
  const projects = await Promise.all(fixtures.map((f) => loadProject(resolve(FIXTURES, f))));
  return up({ projects, logger: silentLogger(), port: 0, internalPort: 0, natsUrl, dataDir, ...options });
}

/** Runs `work` over `items`, `CONCURRENCY` at a time. */
export async function inPool<T>(items: T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/** POSTs a JSON payload; a connection that is cut (the gateway died) answers null. */
export function postJson(url: string, payload: unknown): Promise<Answer | null> {
  return post(url, JSON.stringify(payload), "application/json").catch(() => null);
}

/** Waits for each request to end (up to two minutes each) and counts the outcomes. */
export async function tally(endpoint: string, ids: string[]): Promise<Tally> {
  const t: Tally = { completed: 0, failed: 0, lost: [], errors: new Map() };
  await inPool(ids, async (id) => {
    let status = "";
    for (let tries = 0; tries < 4 && status !== "completed" && status !== "failed"; tries++) {
      const res = await get(`${endpoint}/${id}?wait=30`).catch(() => null);
      status = String(res?.body["status"]);
      if (status === "failed") {
        const error = res!.body["error"] as { type?: unknown; message?: unknown } | undefined;
        assert.equal(typeof error?.message, "string", `failed request ${id} says why`);
        t.errors.set(id, String(error!.type));
      }
    }
    if (status === "completed") t.completed++;
    else if (status === "failed") t.failed++;
    else t.lost.push(id);
  });
  return t;
}

/** How many request ids the handler ran more than once, from its runs file. */
export async function repeatedRuns(runsFile: string): Promise<{ runs: number; repeated: number }> {
  const lines = (await readFile(runsFile, "utf8").catch(() => "")).split("\n").filter(Boolean);
  const counts = new Map<string, number>();
  for (const id of lines) counts.set(id, (counts.get(id) ?? 0) + 1);
  return { runs: lines.length, repeated: [...counts.values()].filter((c) => c > 1).length };
}

/**
 * Tallies the requests that got an id, prints the case's summary line and fails if one was lost.
 * `sent` counts every request the client made; `notes` adds figures of the case (e.g. refusals).
 */
export async function report(
  name: string,
  o: { endpoint: string; ids: string[]; runsFile: string; sent?: number; notes?: Record<string, number> },
): Promise<Tally> {
  const t = await tally(o.endpoint, o.ids);
  const { repeated } = await repeatedRuns(o.runsFile);
  const notes = Object.entries(o.notes ?? {}).map(([k, v]) => `, ${k} ${v}`);
  console.log(
    `faults: ${name}: sent ${o.sent ?? o.ids.length}${notes.join("")}, completed ${t.completed}, ` +
      `failed with a reason ${t.failed}, lost ${t.lost.length}, processed more than once ${repeated}`,
  );
  assert.deepEqual(t.lost, [], `${name}: requests lost`);
  return t;
}
