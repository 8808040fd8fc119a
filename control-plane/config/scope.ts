/**
 * @module
 * Where the checks of one API put what they find, plus the small checks they share.
 */
import { formatIssue, type ConfigIssue } from "./errors.ts";
import { greaterThan, greaterThanOrEqual, lessThan, lessThanOrEqual, MUST_BE_DEFINED } from "./messages.ts";

/** The checks of one API entry report through this. */
export interface Scope {
  /** Absolute project directory, for file checks. */
  readonly projectDir: string;
  report(path: string, message: string): void;
  warn(path: string, message: string): void;
  /** True when the schema check removed this field; its problem is already reported. */
  isBroken(path: string): boolean;
}

export interface ScopeOptions {
  file: string;
  projectDir: string;
  /** Position of the entry in the file, used when it has no usable name. */
  index: number;
  api: string | null;
  broken: ReadonlySet<string>;
  issues: ConfigIssue[];
  warnings: string[];
}

/** A scope that appends to `options.issues` and `options.warnings`. */
export function createScope(options: ScopeOptions): Scope {
  const issue = (path: string, message: string): ConfigIssue => ({
    file: options.file,
    api: options.api,
    path: options.api === null ? indexed(options.index, path) : path,
    message,
  });
  return {
    projectDir: options.projectDir,
    report: (path, message) => void options.issues.push(issue(path, message)),
    warn: (path, message) => void options.warnings.push(formatIssue(issue(path, message))),
    isBroken: (path) => options.broken.has(path),
  };
}

function indexed(index: number, path: string): string {
  return path === "" ? `[${index}]` : `[${index}].${path}`;
}

/** Reports a missing required field (unless the schema already did) and passes the value on. */
export function required<T>(scope: Scope, path: string, value: T | null | undefined): T | null {
  if (value !== undefined && value !== null) return value;
  if (!scope.isBroken(path)) scope.report(path, MUST_BE_DEFINED);
  return null;
}

/** Inclusive (`gte`, `lte`) and exclusive (`gt`, `lt`) bounds of a number. */
export interface Bounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** Reports the first bound `value` breaks; true when it breaks none. */
export function checkBounds(scope: Scope, path: string, value: number, bounds: Bounds): boolean {
  const message = boundsMessage(value, bounds);
  if (message !== null) scope.report(path, message);
  return message === null;
}

function boundsMessage(value: number, { gt, gte, lt, lte }: Bounds): string | null {
  if (gt !== undefined && !(value > gt)) return greaterThan(value, gt);
  if (gte !== undefined && !(value >= gte)) return greaterThanOrEqual(value, gte);
  if (lt !== undefined && !(value < lt)) return lessThan(value, lt);
  if (lte !== undefined && !(value <= lte)) return lessThanOrEqual(value, lte);
  return null;
}

/**
 * The value or, when absent, `fallback`; undefined when the value is out of bounds (reported), so
 * that rules comparing two fields skip values that are already wrong.
 */
export function bounded(
  scope: Scope,
  path: string,
  value: number | undefined,
  fallback: number,
  bounds: Bounds,
): number | undefined {
  if (value === undefined) return fallback;
  return checkBounds(scope, path, value, bounds) ? value : undefined;
}
