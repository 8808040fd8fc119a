import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { GliaError } from "../errors.ts";

/**
 * Holds an exclusive `flock` on the file `path` in a small Python child, the one interpreter glia
 * can count on. The kernel drops the lock when its holder dies, so a killed holder never leaves a
 * lock behind and no process has to decide that another's lock is stale. The child exits when its
 * stdin closes, which happens when this process ends, however it ends. While waiting, `done()` is
 * asked every half second; once it says the work is finished the wait ends without the lock. Python
 * environments and the model cache are built under it.
 * @returns a function that releases the lock.
 */
export async function holdFileLock(
  path: string,
  python: string,
  done: () => Promise<boolean>,
  makeError: (message: string) => GliaError,
): Promise<() => Promise<void>> {
  const holder = spawn(python, ["-c", HOLD_LOCK, path], { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolveExit) => {
    holder.on("exit", (code) => resolveExit(code));
    holder.on("error", () => resolveExit(null));
  });
  const stderr: string[] = [];
  holder.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const locked = new Promise<void>((resolveLocked) => holder.stdout.once("data", () => resolveLocked()));
  const release = async (): Promise<void> => {
    holder.stdin.end();
    await exited;
  };
  for (;;) {
    const outcome = await Promise.race([
      locked.then(() => "locked" as const),
      exited.then(() => "exited" as const),
      sleep(500).then(() => "waiting" as const),
    ]);
    if (outcome === "locked") return release;
    if (outcome === "exited")
      throw makeError(`could not lock ${path}: ${stderr.join("").trim() || "the lock holder exited"}`);
    if (await done()) {
      holder.kill(); // still waiting in flock, so it holds nothing
      await exited;
      return async () => {};
    }
  }
}

const HOLD_LOCK = [
  "import fcntl, sys",
  "f = open(sys.argv[1], 'a')",
  "fcntl.flock(f, fcntl.LOCK_EX)",
  "print('locked', flush=True)",
  "sys.stdin.read()",
].join("\n");
