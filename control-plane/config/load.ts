/**
 * @module
 * Finding, reading and parsing a project's `cortex.yaml`.
 */
import { open, stat } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { ConfigError } from "./errors.ts";
import { resolveConfig } from "./resolve.ts";
import { repeatedKeys } from "./unique-keys.ts";
import type { LoadedProject } from "./types.ts";

/** The config file glia looks for in a project directory. */
export const CONFIG_FILE_NAME = "cortex.yaml";
const YAML_EXTENSIONS = new Set([".yaml", ".yml"]);

/**
 * Largest `cortex.yaml` glia reads: 256 KiB, refused before it is parsed. Cortex configs are a
 * few KiB (an API entry is a few hundred bytes); YAML parsing costs seconds per MiB, so the limit
 * keeps a huge file from holding the CLI or a worker for long.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** Most aliases a config may expand (yaml's own default, written down): an alias bomb is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * Loads a project: `target` is its directory (glia reads `<dir>/cortex.yaml`) or the path of a
 * `.yaml`/`.yml` file (the project is the directory containing it).
 * @throws {ConfigError} when the file is missing, unreadable, not YAML, or describes invalid APIs.
 * @example const { apis, warnings } = await loadProject("examples/iris");
 */
export async function loadProject(target: string): Promise<LoadedProject> {
  const file = await locateConfig(target);
  const configFile = resolve(file);
  const raw = parseYaml(file, await readConfig(file));
  const projectDir = dirname(configFile);
  const { apis, warnings } = resolveConfig(raw, file, projectDir);
  return { configFile, projectDir, apis, warnings };
}

/** The config file to read, named as the caller named it (so messages show familiar paths). */
async function locateConfig(target: string): Promise<string> {
  const found = await stat(target).catch(() => null);
  if (found === null) fail(target, `no such file or directory (looked for ${resolve(target)})`);
  if (found.isFile()) return checkExtension(target);
  if (!found.isDirectory()) fail(target, "not a regular file or a directory");
  const file = join(target, CONFIG_FILE_NAME);
  const config = await stat(file).catch(() => null);
  if (config === null || !config.isFile()) {
    fail(file, `no ${CONFIG_FILE_NAME} in the project directory (looked for ${resolve(file)})`);
  }
  return file;
}

function checkExtension(file: string): string {
  if (YAML_EXTENSIONS.has(extname(file))) return file;
  const expected = `expected a .yaml or .yml file, or a project directory containing ${CONFIG_FILE_NAME}`;
  fail(file, expected);
}

/** The file's text; refused before it is read when it is over {@link MAX_CONFIG_BYTES}. */
async function readConfig(file: string): Promise<string> {
  const handle = await open(file).catch((error: unknown) =>
    fail(file, `cannot read the file (${(error as Error).message})`, error),
  );
  try {
    const { size } = await handle.stat();
    if (size > MAX_CONFIG_BYTES) {
      const limit = `${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / 1024} KiB)`;
      fail(file, `the file is ${size} bytes, over the limit of ${limit}; a cortex.yaml describes APIs, not data`);
    }
    return await handle.readFile("utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail(file, `cannot read the file (${(error as Error).message})`, error);
  } finally {
    await handle.close();
  }
}

/** Parses YAML text, reporting every syntax error and repeated key with its line and column. */
function parseYaml(file: string, text: string): unknown {
  const lineCounter = new LineCounter();
  // Repeated keys are found by repeatedKeys, in linear time; yaml's own check is quadratic.
  const document = parseDocument(text, { uniqueKeys: false, lineCounter });
  const messages = document.errors.length
    ? document.errors.map(yamlErrorMessage)
    : repeatedKeys(document, lineCounter).map(
        ({ line, col }) => `invalid yaml: Map keys must be unique (line ${line}, column ${col})`,
      );
  if (messages.length > 0) {
    const issues = messages.map((message) => ({ file, api: null, path: "", message }));
    throw new ConfigError(issues, { cause: document.errors[0] });
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    fail(file, `invalid yaml: ${(error as Error).message}`, error);
  }
}

function yamlErrorMessage(error: YAMLError): string {
  const reason = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  const position = error.linePos?.[0];
  const where = position === undefined ? "" : ` (line ${position.line}, column ${position.col})`;
  return `invalid yaml: ${reason}${where}`;
}

function fail(file: string, message: string, cause?: unknown): never {
  throw new ConfigError([{ file, api: null, path: "", message }], { cause });
}
