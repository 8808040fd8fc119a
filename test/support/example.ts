/**
 * The examples under `examples/`, served on the real stack for their tests: each is copied to a
 * temporary folder (so nothing it makes lands in the repository), its Python environment is built
 * exactly as `glia up` builds it, an optional step makes its model there, and then it is deployed.
 * `python()` runs code in the same environment, to call the model directly and compare.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureEnvironment } from "../../control-plane/runtime/index.ts";
import { startPlatform, type TestPlatform, type TestPlatformOptions } from "./platform.ts";

export const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

/**
 * Python lines that make the example's `Handler` importable in process, with the messages it logs
 * through `cortex_internal.lib.log` kept in `messages`: for tests of what a handler does at
 * `__init__` (e.g. fall back to the CPU). Run with `{ runtime: RUNTIME_ROOT }` as input.
 */
export const IN_PROCESS_HANDLER = `
import json, logging, sys
sys.path.insert(0, json.load(sys.stdin)["runtime"])
from cortex_internal.lib.log import logger
messages = []
class Keep(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())
logger.addHandler(Keep())
from handler import Handler
`;

export interface ServedExample extends AsyncDisposable {
  stack: TestPlatform;
  /** The copy of the example that is served. */
  dir: string;
  /** The interpreter of the example's environment. */
  pythonPath: string;
  url(api: string): string;
  /** Runs `code` in the example's environment and folder, `input` as JSON on stdin; returns its stdout parsed as JSON. */
  python(code: string, input?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export interface ExampleOptions extends TestPlatformOptions {
  /** A script of the example to run (in its environment and folder) before it is served, e.g. to train its model. */
  prepare?: string;
}

export async function serveExample(name: string, options: ExampleOptions = {}): Promise<ServedExample> {
  const dir = join(await mkdtemp(join(tmpdir(), `glia-example-${name}-`)), name);
  await cp(join(EXAMPLES, name), dir, { recursive: true, filter: (src) => !src.includes("/.glia") });
  try {
    const env = await ensureEnvironment({
      requirementsFile: join(dir, "requirements.txt"),
      shellFile: join(dir, "dependencies.sh"),
      onProgress: process.env["GLIA_TEST_LOG"] ? (line) => console.error(line) : undefined,
    });
    const python = async (code: string, input?: unknown): Promise<unknown> => {
      const stdout = await runPython(env.python, dir, code, input);
      try {
        return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
      } catch {
        throw new Error(`python printed no JSON on its last line:\n${stdout}`);
      }
    };
    if (options.prepare) {
      const script = `import runpy; runpy.run_path(${JSON.stringify(options.prepare)}, run_name="__main__")`;
      await runPython(env.python, dir, script);
    }
    const stack = await startPlatform([dir], options);
    const stop = async (): Promise<void> => {
      await stack.stop();
      await rm(join(dir, ".."), { recursive: true, force: true });
    };
    return { stack, dir, pythonPath: env.python, url: stack.url, python, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await rm(join(dir, ".."), { recursive: true, force: true });
    throw err;
  }
}

/** Runs `code` and resolves with what it printed; rejects with its stderr if it fails. */
function runPython(python: string, cwd: string, code: string, input?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-c", code], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`python exited with ${code}:\n${Buffer.concat(err).toString("utf8")}`));
      resolve(Buffer.concat(out).toString("utf8"));
    });
    child.stdin.end(input === undefined ? "" : JSON.stringify(input));
  });
}
