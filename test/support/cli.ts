import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CLI = fileURLToPath(new URL("../../control-plane/cli/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let runs = 0;

export interface RunningCli {
  child: ChildProcess;
  /** Everything printed on stderr so far. */
  stderr: string[];
  /** The JSON log lines printed on stdout so far. */
  logs: Array<Record<string, unknown>>;
  /** Every stdout line so far. */
  stdoutLines: string[];
  /** Resolves once a stdout line matches `pattern`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the first stderr line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Runs `glia <args>` as a user would, from the repository root. */
export function runCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      INIT_CWD: ROOT,
      GLIA_STATE_FILE: join(tmpdir(), `glia-test-state-${process.pid}-${++runs}.json`),
      ...env,
    },
  });
  const stderr: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const stdoutLines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    stdoutLines.push(line);
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderr.push(line);
    listeners.forEach((l) => l(line));
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const waitForLine = (pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const seen = stderr.map((l) => pattern.exec(l)).find(Boolean);
      if (seen) return resolve(seen);
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stderr.join("\n")}`)),
        timeoutMs,
      );
      const listener = (line: string): void => {
        const m = pattern.exec(line);
        if (m) {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(m);
        }
      };
      listeners.add(listener);
      void exited.then((code) =>
        reject(new Error(`glia exited with ${code} before printing ${pattern}:\n${stderr.join("\n")}`)),
      );
    });
  const waitForStdout = async (pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!stdoutLines.some((l) => pattern.test(l))) {
      if (Date.now() > deadline) throw new Error(`no stdout line matching ${pattern}:\n${stdoutLines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stderr, logs, stdoutLines, waitForLine, waitForStdout, exited };
}

/** The environment that lets a CLI run find the platform this test process started (its state file). */
export function platformState(): Record<string, string> {
  const file = process.env["GLIA_STATE_FILE"];
  if (!file) throw new Error("no platform was started by this test process");
  return { GLIA_STATE_FILE: file };
}

/**
 * Stops the CLI runs still going (a test that failed half-way leaves its glia running): the clean
 * way first, so each stops its own nats-server too, and by SIGKILL if that takes over 15 s.
 */
export async function stopClis(started: RunningCli[]): Promise<void> {
  const running = started.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  running.forEach((c) => c.child.kill("SIGINT"));
  const timer = setTimeout(() => running.forEach((c) => c.child.kill("SIGKILL")), 15_000);
  await Promise.all(running.map((c) => c.exited));
  clearTimeout(timer);
}
