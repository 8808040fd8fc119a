import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "dotenv";

/**
 * The variables a handler sees besides the platform's: `handler.env` from cortex.yaml, then the
 * project's `.env` (`VARIABLE=value` lines), which wins on a clash as it did in Cortex.
 */
export async function handlerEnvironment(
  projectDir: string,
  handlerEnv: Record<string, string>,
): Promise<Record<string, string>> {
  const text = await readFile(join(projectDir, ".env"), "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return "";
    throw err;
  });
  return { ...handlerEnv, ...parse(text) };
}
