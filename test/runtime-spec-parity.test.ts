/**
 * Rule parity between the two ends of the runtime spec: each `cortex.yaml` below is loaded by
 * control-plane/config; a refused one must be refused there, naming the field (the Python runtime
 * no longer checks cortex.yaml rules); an accepted one is turned into the RuntimeSpec the worker
 * writes (runtime/spec.ts) and read back by the real Python runtime's parser (glia_runtime.spec),
 * which must see exactly what cortex.yaml said, number types and defaults included.
 */
import { after, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { ConfigError, loadProject, type ResolvedApiSpec } from "../control-plane/config/index.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, RUNTIME_ROOT } from "../control-plane/runtime/index.ts";
import { runtimeSpec, runtimeSpecJson } from "../control-plane/runtime/spec.ts";

const T = { timeout: 60_000 };
const PYTHON = fileURLToPath(new URL("../.venv/bin/python", import.meta.url));
/** Reads a spec file with the runtime's own parser; prints it and the Python type of each config value. */
const READ_BACK = `
import dataclasses, json, sys
from pathlib import Path
from glia_runtime.spec import read_spec

def kinds(value):
    if isinstance(value, dict):
        return {key: kinds(item) for key, item in value.items()}
    if isinstance(value, list):
        return [kinds(item) for item in value]
    return type(value).__name__

spec = read_spec(Path(sys.argv[1]))
print(json.dumps({"spec": dataclasses.asdict(spec), "kinds": kinds(spec.handler.config)}))
`;

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** `handler.models` as the runtime's ModelsSpec dataclass holds it. */
interface RuntimeModels {
  path: string | null;
  paths: Array<{ name: string; path: string; signature_key: string | null }>;
  dir: string | null;
  signature_key: string | null;
}

interface Accepted {
  title: string;
  handler: Record<string, unknown>;
  files?: string[];
  /** What the runtime must resolve besides `path` and `config` (those are compared with cortex.yaml). */
  runtime: { type: string; python_path: string | null; log_level: string; models: RuntimeModels | null };
  /** Why to skip when config refuses it, printed. */
  skipIfRefused?: string;
}

interface Refused {
  title: string;
  handler: Record<string, unknown>;
  /** The field config must name. */
  field: string;
}

const CONFIG = {
  batch_size: 32,
  threshold: 0.25,
  negative: -7,
  big: 9007199254740991,
  label: "iris",
  flags: [true, false, null],
  nested: { ids: [1, 2.5, "3"], deeper: { ratio: 1.5, count: 0 } },
};

const models = (m: Partial<RuntimeModels>): RuntimeModels => ({
  path: null,
  paths: [],
  dir: null,
  signature_key: null,
  ...m,
});

const ACCEPTED: Accepted[] = [
  {
    title: "python, defaults only",
    handler: { type: "python", path: "handler.py" },
    runtime: { type: "python", python_path: null, log_level: "info", models: null },
  },
  {
    title: "python with ints, floats and nested config, python_path and log_level debug",
    handler: { type: "python", path: "src/handler.py", config: CONFIG, python_path: "./lib", log_level: "debug" },
    files: ["src/handler.py", "lib/util.py"],
    runtime: { type: "python", python_path: "lib/", log_level: "debug", models: null },
  },
  {
    title: "log_level warning",
    handler: { type: "python", path: "handler.py", log_level: "warning" },
    runtime: { type: "python", python_path: null, log_level: "warning", models: null },
  },
  {
    title: "log_level error, empty config",
    handler: { type: "python", path: "handler.py", log_level: "error", config: {} },
    runtime: { type: "python", python_path: null, log_level: "error", models: null },
  },
  {
    title: "tensorflow, models.path with a signature_key",
    handler: { type: "tensorflow", path: "handler.py", models: { path: "models/one", signature_key: "predict" } },
    runtime: {
      type: "tensorflow",
      python_path: null,
      log_level: "info",
      models: models({ path: "models/one", signature_key: "predict" }),
    },
  },
  {
    title: "tensorflow, models.paths with per-model and models-wide signature keys",
    handler: {
      type: "tensorflow",
      path: "handler.py",
      config: { k: 1 },
      models: {
        signature_key: "serving_default",
        paths: [
          { name: "first", path: "models/a", signature_key: "classify" },
          { name: "second-2", path: "models/b" },
        ],
      },
    },
    runtime: {
      type: "tensorflow",
      python_path: null,
      log_level: "info",
      models: models({
        signature_key: "serving_default",
        paths: [
          { name: "first", path: "models/a", signature_key: "classify" },
          { name: "second-2", path: "models/b", signature_key: null },
        ],
      }),
    },
  },
  {
    title: "tensorflow, models.dir",
    handler: { type: "tensorflow", path: "handler.py", models: { dir: "models" } },
    runtime: { type: "tensorflow", python_path: null, log_level: "info", models: models({ dir: "models" }) },
  },
  {
    // The worker puts the local copy of an s3:// model in handler.models before it builds the
    // spec; this row shows only that config accepts the URL and that the spec carries it unchanged.
    title: "tensorflow, models.path an s3:// URL",
    handler: { type: "tensorflow", path: "handler.py", models: { path: "s3://bucket/models/one" } },
    runtime: {
      type: "tensorflow",
      python_path: null,
      log_level: "info",
      models: models({ path: "s3://bucket/models/one" }),
    },
    skipIfRefused: "control-plane/config does not accept s3:// model paths yet",
  },
];

const REFUSED: Refused[] = [
  {
    title: "models for the python type",
    handler: { type: "python", path: "handler.py", models: { path: "models/one" } },
    field: "handler.models",
  },
  { title: "tensorflow without models", handler: { type: "tensorflow", path: "handler.py" }, field: "handler.models" },
  {
    title: "two model sources",
    handler: { type: "tensorflow", path: "handler.py", models: { path: "models/one", dir: "models" } },
    field: "handler.models",
  },
  {
    title: "a model name with a space",
    handler: { type: "tensorflow", path: "handler.py", models: { paths: [{ name: "has space", path: "m" }] } },
    field: "handler.models.paths[0].name",
  },
  {
    title: "two models with one name",
    handler: {
      type: "tensorflow",
      path: "handler.py",
      models: {
        paths: [
          { name: "same", path: "a" },
          { name: "same", path: "b" },
        ],
      },
    },
    field: "handler.models.paths[1].name",
  },
  {
    title: "a models.path URL with an unsupported scheme (ftp://)",
    handler: { type: "tensorflow", path: "handler.py", models: { path: "ftp://example.com/model" } },
    field: "handler.models.path",
  },
  {
    title: "a models.paths URL with an unsupported scheme (gs://)",
    handler: { type: "tensorflow", path: "handler.py", models: { paths: [{ name: "m", path: "gs://bucket/m" }] } },
    field: "handler.models.paths[0].path",
  },
  {
    title: "an unknown log level",
    handler: { type: "python", path: "handler.py", log_level: "verbose" },
    field: "handler.log_level",
  },
  { title: "an unknown handler type", handler: { type: "onnx", path: "handler.py" }, field: "handler.type" },
];

/** A project folder holding `handler.py`, `files`, and a cortex.yaml with one API of `handler`. */
function project(handler: Record<string, unknown>, files: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "glia-spec-parity-"));
  dirs.push(dir);
  for (const name of ["handler.py", ...files]) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), "class Handler: ...\n");
  }
  writeFileSync(join(dir, "cortex.yaml"), stringify([{ name: "parity", kind: "AsyncAPI", handler }]));
  return dir;
}

async function load(handler: Record<string, unknown>, files?: string[]): Promise<ResolvedApiSpec> {
  const { apis } = await loadProject(project(handler, files));
  assert.equal(apis.length, 1);
  return apis[0]!;
}

/** Writes the spec as the worker does and reads it back with the runtime's parser. */
async function readBack(api: ResolvedApiSpec): Promise<{ spec: Record<string, unknown>; kinds: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), "glia-spec-parity-"));
  dirs.push(dir);
  const file = join(dir, "spec.json");
  writeFileSync(file, runtimeSpecJson(runtimeSpec({ api: api.name, handler: api.handler })), { mode: 0o600 });
  const { stdout } = await promisify(execFile)(PYTHON, ["-c", READ_BACK, file], {
    env: { ...process.env, PYTHONPATH: RUNTIME_ROOT },
  });
  return JSON.parse(stdout) as { spec: Record<string, unknown>; kinds: unknown };
}

/** The Python type json.loads gives each value of a config: JSON text keeps 1 and 1.5 apart. */
function kinds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(kinds);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, kinds(item)]));
  }
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return { string: "str", boolean: "bool" }[typeof value as string] ?? "NoneType";
}

async function refusedBy(handler: Record<string, unknown>): Promise<ConfigError | null> {
  return load(handler).then(
    () => null,
    (err: unknown) => {
      if (err instanceof ConfigError) return err;
      throw err;
    },
  );
}

describe("cortex.yaml rules live in control-plane/config; the runtime reads what the worker wrote", () => {
  for (const row of ACCEPTED) {
    it(`accepted: ${row.title}`, T, async (t: TestContext) => {
      const refused = row.skipIfRefused ? await refusedBy(row.handler) : null;
      if (refused) {
        t.diagnostic(`${row.skipIfRefused}: ${refused.message}`);
        t.skip(row.skipIfRefused);
        return;
      }
      const api = await load(row.handler, row.files);
      const config = (row.handler["config"] ?? {}) as Record<string, unknown>;
      const { spec, kinds: seen } = await readBack(api);
      assert.deepEqual(spec, {
        api: "parity",
        handler: { path: row.handler["path"], config, ...row.runtime },
        max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
      });
      assert.deepEqual(seen, kinds(config));
    });
  }

  for (const row of REFUSED) {
    it(`refused: ${row.title}`, T, async () => {
      const error = await refusedBy(row.handler);
      assert.ok(error, `control-plane/config accepted ${JSON.stringify(row.handler)}`);
      const fields = error.issues.map((issue) => issue.path);
      assert.ok(fields.includes(row.field), `expected an issue at ${row.field}, got:\n${error.message}`);
    });
  }
});
