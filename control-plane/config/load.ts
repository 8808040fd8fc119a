/**
 * @module
 * Finding, reading and parsing a project's `cortex.yaml`.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { parseDocument, type YAMLError } from "yaml";
import { ConfigError } from "./errors.ts";
import { resolveConfig } from "./resolve.ts";
import type { LoadedProject } from "./types.ts";

/** The config file glia looks for in a project directory. */
export const CONFIG_FILE_NAME = "cortex.yaml";
const YAML_EXTENSIONS = new Set([".yaml", ".yml"]);

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
  if (!found.isDirectory()) return checkExtension(target);
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

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    fail(file, `cannot read the file (${(error as Error).message})`, error);
  }
}

/** Parses YAML text, reporting every syntax error with its line and column. */
function parseYaml(file: string, text: string): unknown {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => ({
      file,
      api: null,
      path: "",
      message: yamlErrorMessage(error),
    }));
    throw new ConfigError(issues, { cause: document.errors[0] });
  }
  try {
    return document.toJS();
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
