import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The tools environment `scripts/setup.sh` builds; prometheus_client is pinned in requirements-dev.lock. */
const PYTHON = fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));

/** One sample as Prometheus' parser reads it. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family as Prometheus' parser reads it. */
export interface ParsedFamily {
  name: string;
  type: string;
  samples: ParsedSample[];
}

// Reads the page from stdin with the official client's parser and prints it as JSON; a page it
// cannot read makes it exit non-zero with the parser's error.
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = text_string_to_metric_families(sys.stdin.read())
print(json.dumps([
    {"name": f.name, "type": f.type,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
    for f in families
]))
`;

/**
 * Parses a Prometheus text exposition with `prometheus_client.parser.text_string_to_metric_families`
 * (the official Python client's parser, in `.venv`); rejects with the parser's error when the
 * page does not parse.
 */
export async function parsePrometheus(text: string): Promise<ParsedFamily[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      PYTHON,
      ["-c", PARSE],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, out, errText) => {
        if (err)
          reject(
            new Error(
              `Prometheus' parser refused the page (${PYTHON}; run bash scripts/setup.sh if it is missing):\n${errText}\n--- page ---\n${text}`,
            ),
          );
        else resolve(out);
      },
    );
    child.stdin?.end(text);
  });
  return JSON.parse(stdout) as ParsedFamily[];
}
