/**
 * @module
 * `handler.dependencies`: the files installed before the handler starts.
 */
import { fileDoesNotExist } from "./messages.ts";
import { isProjectFile, projectRelative } from "./project-paths.ts";
import type { RawDependencies } from "./schema.ts";
import type { Scope } from "./scope.ts";
import type { ResolvedDependencies } from "./types.ts";

/** Default dependency file names, at the project root. */
export const DEFAULT_DEPENDENCIES: Readonly<ResolvedDependencies> = Object.freeze({
  pip: "requirements.txt",
  conda: "conda-packages.txt",
  shell: "dependencies.sh",
});

/**
 * Checks the dependency paths. A default file may be absent; a file named explicitly (other than
 * the default) must exist. A conda file that exists is a warning: glia does not run conda.
 */
export function resolveDependencies(scope: Scope, raw: RawDependencies): ResolvedDependencies {
  const resolved = {
    pip: dependencyPath(scope, "pip", raw.pip),
    conda: dependencyPath(scope, "conda", raw.conda),
    shell: dependencyPath(scope, "shell", raw.shell),
  };
  if (isProjectFile(scope.projectDir, resolved.conda)) warnConda(scope, resolved);
  return resolved;
}

function dependencyPath(scope: Scope, kind: keyof ResolvedDependencies, value: string | undefined): string {
  const fallback = DEFAULT_DEPENDENCIES[kind];
  const path = `handler.dependencies.${kind}`;
  const relative = value === undefined ? fallback : projectRelative(scope, path, value);
  if (relative === null) return fallback;
  const named = value !== undefined && relative !== fallback;
  if (named && !isProjectFile(scope.projectDir, relative)) {
    scope.report(path, fileDoesNotExist(value));
  }
  return relative;
}

function warnConda(scope: Scope, files: ResolvedDependencies): void {
  scope.warn(
    "handler.dependencies.conda",
    `${files.conda} is present but glia does not run conda, so its packages will not be ` +
      `installed; move them to ${files.pip} (pip)`,
  );
}
