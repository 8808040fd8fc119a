/**
 * @module
 * Throw-away project directories for the config tests.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { loadProject } from "./load.ts";

const created: string[] = [];

/** The smallest valid API entry; tests spread their changes over it. */
export const BASE_API = Object.freeze({
  name: "iris",
  kind: "AsyncAPI",
  handler: Object.freeze({ type: "python", path: "handler.py" }),
});

/**
 * A new temp directory holding `handler.py` plus `files` (path → content); a `cortex.yaml` entry
 * that is not a string is written as YAML.
 */
export function makeProject(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "glia-config-"));
  created.push(dir);
  const all: Record<string, unknown> = { "handler.py": "class Handler: ...\n", ...files };
  for (const [name, content] of Object.entries(all)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (name.endsWith("/")) mkdirSync(path, { recursive: true });
    else writeFileSync(path, typeof content === "string" ? content : stringify(content));
  }
  return dir;
}

/** Removes every directory `makeProject` made. */
export function removeProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A field path and message, as the tables of invalid cases list them. */
export type Expected = [path: string, message: string];

/** One row of a table of invalid configs: `api` is merged over `BASE_API`. */
export interface InvalidCase {
  title: string;
  api: Record<string, unknown>;
  files?: Record<string, unknown>;
  issues: Expected[];
}

/**
 * `BASE_API` with `patch` merged in, maps merged key by key; a key patched to `undefined` is removed.
 * @example withApi({ handler: { type: "onnx" } }) // keeps handler.path
 */
export function withApi(patch: Record<string, unknown>): Record<string, unknown> {
  return merge(BASE_API, patch);
}

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isMap(current) && isMap(value)) out[key] = merge(current, value);
    else out[key] = value;
  }
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Loads `config` (written as `cortex.yaml`) expecting a ConfigError; returns its issues. */
export async function issuesOf(config: unknown, files: Record<string, unknown> = {}): Promise<ConfigIssue[]> {
  const dir = makeProject({ ...files, "cortex.yaml": config });
  const error: unknown = await loadProject(dir).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  return [...error.issues];
}

/** Runs a table of invalid single-API configs, each against its exact paths and messages. */
export async function checkCase(row: InvalidCase): Promise<void> {
  const issues = await issuesOf([withApi(row.api)], row.files);
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.message]),
    row.issues,
  );
}
