import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { defaultCacheDir, RUNTIME_ROOT, runAsOptions, type RunAs } from "../runtime/index.ts";
import { PlatformConfigError } from "./errors.ts";

const exec = promisify(execFile);

/**
 * The user named by `--run-as`, looked up as the system does (`getent passwd`, so directory users
 * count too). Only root can start processes as another user, and running them as root again would
 * defeat the point: both are refused, naming the fix.
 */
export async function resolveRunAs(user: string): Promise<RunAs> {
  if (process.getuid?.() !== 0)
    throw new PlatformConfigError(
      `--run-as ${user} needs glia to run as root (it runs as uid ${process.getuid?.()}); without it, runtimes already run as you`,
    );
  const entry = await exec("getent", ["passwd", user]).then(
    (r) => r.stdout.trim(),
    () => "",
  );
  const [name, , uid, gid, , home] = entry.split(":");
  if (!name || uid === undefined || gid === undefined)
    throw new PlatformConfigError(`--run-as: there is no user ${JSON.stringify(user)} on this machine (getent passwd)`);
  if (Number(uid) === 0)
    throw new PlatformConfigError(`--run-as ${user}: that user is root; name an unprivileged user, e.g. nobody`);
  const runAs = { user: name, uid: Number(uid), gid: Number(gid), home: home || "/" };
  // Service users have no home (`/nonexistent`): theirs is then the cache folder glia makes for
  // them, so libraries that keep caches under ~ (pip, PyTorch Hub, Hugging Face) can write.
  const usable = await access(runAs.home).then(
    () => true,
    () => false,
  );
  return usable ? runAs : { ...runAs, home: join(defaultCacheDir(runAs), "users", name) };
}

/**
 * Checks, before anything is built, that `runAs` can run the base Python and read glia's runtime
 * package, so a refusal names the fix instead of surfacing as a failed build or a dead runtime.
 */
export async function checkRunAs(runAs: RunAs, basePython: string): Promise<void> {
  const as = runAsOptions(runAs);
  const probe = "import os, sys; sys.exit(0 if os.access(sys.argv[1], os.R_OK | os.X_OK) else 3)";
  const outcome = await exec(basePython, ["-c", probe, RUNTIME_ROOT], {
    uid: as.uid,
    gid: as.gid,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...as.env },
  }).then(
    () => 0,
    (err: { code?: number | string }) => err.code,
  );
  if (outcome === 0) return;
  if (outcome === 3)
    throw new PlatformConfigError(
      `--run-as ${runAs.user}: that user cannot read glia's runtime in ${RUNTIME_ROOT}; ` +
        "make it and the folders above it readable and searchable by that user (e.g. install glia under /opt or /srv)",
    );
  throw new PlatformConfigError(
    `--run-as ${runAs.user}: that user cannot run the base Python ${basePython} (${String(outcome)}); ` +
      "set GLIA_PYTHON to an interpreter it can run, e.g. /usr/bin/python3",
  );
}
