import { chown, lchown, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The unprivileged user that runtimes and dependency scripts run as when glia runs as root
 * (`--run-as USER`): a handler then cannot read glia's keys, data or other processes' memory.
 */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  home: string;
}

/** Spawn options and variables that make a child run as `runAs` (nothing without it). */
export function runAsOptions(runAs: RunAs | undefined): { uid?: number; gid?: number; env: Record<string, string> } {
  if (!runAs) return { env: {} };
  return {
    uid: runAs.uid,
    gid: runAs.gid,
    env: { HOME: runAs.home, USER: runAs.user, LOGNAME: runAs.user },
  };
}

/** Gives `path` and everything under it to `runAs` (links are changed, not followed). */
export async function chownTree(path: string, runAs: RunAs): Promise<void> {
  await chown(path, runAs.uid, runAs.gid);
  for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, runAs);
    else if (entry.isSymbolicLink()) await lchown(child, runAs.uid, runAs.gid);
    else await chown(child, runAs.uid, runAs.gid);
  }
}
