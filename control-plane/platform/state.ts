import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { stateFilePath } from "../config/index.ts";
import type { NatsIdentity } from "./nats-auth.ts";

/** What `glia deploy`, `get`, `logs` and `delete` need to find the running platform. */
export interface PlatformState {
  natsUrl: string;
  /** The public gateway URL. */
  url: string;
  pid: number;
  /**
   * The identities `glia up` made for the nats-server it started (absent with `--nats-url`):
   * the CLI's (deploy, get, logs, delete, requeue) and a gateway's (`glia gateway` beside it).
   */
  nats?: { cli: NatsIdentity; gateway: NatsIdentity };
}

/** `$GLIA_STATE_FILE`, else `$XDG_STATE_HOME/glia/platform.json`, else `~/.local/state/glia/platform.json`. */
export function stateFile(): string {
  return stateFilePath();
}

export async function writeState(state: PlatformState): Promise<string> {
  const file = stateFile();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(state), { mode: 0o600 });
  return file;
}

/** The running platform's state, or `null` when none is recorded or its process is gone. */
export async function readState(): Promise<PlatformState | null> {
  const text = await readFile(stateFile(), "utf8").catch(() => null);
  if (!text) return null;
  const state = JSON.parse(text) as PlatformState;
  try {
    process.kill(state.pid, 0);
    return state;
  } catch {
    return null;
  }
}

/** Removes the state file if it is still this process's. */
export async function removeState(file: string): Promise<void> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text && (JSON.parse(text) as PlatformState).pid === process.pid) await rm(file, { force: true });
}
