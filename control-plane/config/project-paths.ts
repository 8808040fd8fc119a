/**
 * @module
 * Paths that `cortex.yaml` gives relative to its project directory: they must stay inside it.
 */
import { statSync } from "node:fs";
import { join, posix } from "node:path";
import { CANNOT_BE_EMPTY, mustBeRelative, outsideProject } from "./messages.ts";
import type { Scope } from "./scope.ts";

/**
 * Normalises a project-relative path (`./src//h.py` → `src/h.py`, `lib/` → `lib`, `./` → `.`);
 * reports and returns null when it is empty, absolute, `~`-prefixed or leaves the project.
 */
export function projectRelative(scope: Scope, path: string, value: string): string | null {
  const message = relativePathProblem(value);
  if (message !== null) {
    scope.report(path, message);
    return null;
  }
  return posix.normalize(value).replace(/(.)\/+$/, "$1");
}

/** Why `value` is not a path inside the project (empty, absolute, `~`-prefixed, leaving it); null when it is. */
export function relativePathProblem(value: string): string | null {
  if (value === "") return CANNOT_BE_EMPTY;
  if (value.startsWith("/") || value.startsWith("~")) return mustBeRelative(value);
  const normalized = posix.normalize(value);
  if (normalized === ".." || normalized.startsWith("../")) return outsideProject(value);
  return null;
}

/** True when `relative` names a regular file (or a link to one) under `projectDir`. */
export function isProjectFile(projectDir: string, relative: string): boolean {
  return statSync(join(projectDir, relative), { throwIfNoEntry: false })?.isFile() ?? false;
}

/** True when `relative` names a directory (or a link to one) under `projectDir`. */
export function isProjectDir(projectDir: string, relative: string): boolean {
  return statSync(join(projectDir, relative), { throwIfNoEntry: false })?.isDirectory() ?? false;
}
