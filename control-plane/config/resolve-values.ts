/**
 * @module
 * Checks of single values shared by several sections: quantities, durations, image references.
 */
import { durationToSeconds, parseDuration } from "./duration.ts";
import { greaterThanOrEqual, invalidDuration, invalidQuantity, notMultiple, show } from "./messages.ts";
import { compareQuantities, parseQuantity, type Quantity } from "./quantity.ts";
import type { Scope } from "./scope.ts";

// An image reference as Docker parses it: [registry[:port]/]name[/name...][:tag][@digest].
const LABEL = String.raw`(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`;
const DOMAIN = String.raw`${LABEL}(?:\.${LABEL})*(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const NAME = `(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*`;
const IMAGE = new RegExp(`^${NAME}(?::${TAG})?(?:@${DIGEST})?$`);

/** True for an image reference Docker would accept (`[registry[:port]/]name[:tag][@digest]`). */
export function isImageReference(value: string): boolean {
  return IMAGE.test(value);
}

/** An image reference, or null when absent or empty; reports one Docker would refuse. */
export function checkImage(scope: Scope, path: string, value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (IMAGE.test(value)) return value;
  scope.report(path, `${show(value)} is not a valid docker image path`);
  return null;
}

/** Parses a quantity, reporting one that is not. */
export function checkQuantity(scope: Scope, path: string, text: string): Quantity | null {
  const quantity = parseQuantity(text);
  if (quantity === null) scope.report(path, invalidQuantity(text));
  return quantity;
}

/** Parses a quantity that must be at least `minimum` (e.g. `20m`), reporting it otherwise. */
export function checkMinQuantity(scope: Scope, path: string, text: string, minimum: string): Quantity | null {
  const quantity = checkQuantity(scope, path, text);
  const floor = parseQuantity(minimum);
  if (quantity === null || floor === null || compareQuantities(quantity, floor) >= 0) {
    return quantity;
  }
  scope.report(path, greaterThanOrEqual(text, minimum));
  return null;
}

/** Rules for a duration: a lower bound and a step, both durations such as `10s`. */
export interface DurationRules {
  min: string;
  multipleOf?: string;
}

/**
 * A duration field in seconds: `fallback` when absent; undefined when invalid (reported).
 * @example checkDuration(scope, "autoscaling.window", "1m", "60s", { min: "10s" }) // 60
 */
export function checkDuration(
  scope: Scope,
  path: string,
  value: string | undefined,
  fallback: string,
  rules: DurationRules,
): number | undefined {
  const text = value ?? fallback;
  const nanos = parseDuration(text);
  const message = nanos === null ? invalidDuration(text) : durationProblem(text, nanos, rules);
  if (message === null) return durationToSeconds(nanos ?? 0n);
  scope.report(path, message);
  return undefined;
}

function durationProblem(text: string, nanos: bigint, rules: DurationRules): string | null {
  const min = parseDuration(rules.min) ?? 0n;
  if (nanos < min) return greaterThanOrEqual(text, rules.min);
  const step = rules.multipleOf === undefined ? null : parseDuration(rules.multipleOf);
  if (step && nanos % step !== 0n) return notMultiple(text, rules.multipleOf);
  return null;
}
