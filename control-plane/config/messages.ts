/**
 * @module
 * The wording of config problems, following Cortex's configreader and spec errors so that users of
 * Cortex recognise them. Values from the file are shown in backticks, numbers bare.
 */

/** Renders a value from the file for a message: `text`, 5, `{"a":1}`. */
export function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === "") return '""';
  if (typeof value === "string") return `\`${value}\``;
  const json = JSON.stringify(value) ?? String(value);
  return `\`${json.length > 60 ? `${json.slice(0, 57)}...` : json}\``;
}

/** "`a`", "`a` or `b`", "`a`, `b`, or `c`". */
export function showOr(values: readonly unknown[]): string {
  const shown = values.map(show);
  if (shown.length <= 2) return shown.join(" or ");
  return `${shown.slice(0, -1).join(", ")}, or ${shown.at(-1)}`;
}

const CONFIG_DIRECTORY = "the directory containing your API configuration file";

export const MUST_BE_DEFINED = "must be defined";
export const CANNOT_BE_EMPTY = "cannot be empty";
export const NOT_A_LIST_OF_MAPS = "cortex YAML configuration files must contain a list of maps (one map per API)";
export const NO_APIS = "at least one API must be configured";
export const ONNX_REPLACED =
  "the onnx handler type has been replaced by the python handler type; " +
  "please use the python handler type instead (all onnx models are fully supported by the python handler type)";
export const GPU_AND_INF = "gpu and inf resources cannot be used together";
export const SURGE_AND_UNAVAILABLE_ZERO = "max_surge and max_unavailable cannot both be zero";

export const unsupportedKey = (key: string): string => `key \`${key}\` is not supported`;
export const invalidType = (value: unknown, expected: string): string =>
  `${show(value)}: invalid type (expected ${expected})`;
export const invalidValue = (value: unknown, allowed: readonly unknown[]): string =>
  `invalid value (got ${show(value)}, must be ${showOr(allowed)})`;
export const greaterThan = (value: unknown, bound: unknown): string =>
  `${show(value)} must be greater than ${show(bound)}`;
export const greaterThanOrEqual = (value: unknown, bound: unknown): string =>
  `${show(value)} must be greater than or equal to ${show(bound)}`;
export const lessThan = (value: unknown, bound: unknown): string => `${show(value)} must be less than ${show(bound)}`;
export const lessThanOrEqual = (value: unknown, bound: unknown): string =>
  `${show(value)} must be less than or equal to ${show(bound)}`;
export const notMultiple = (value: unknown, multiple: unknown): string =>
  `${show(value)} is not a multiple of ${show(multiple)}`;
export const tooLong = (value: string, max: number): string => `${show(value)} must be no more than ${max} characters`;
export const duplicated = (value: unknown): string => `${show(value)} is duplicated`;
export const notSupportedForKind = (key: string): string => `${key} key is not supported for AsyncAPI kind`;
export const notSupportedByHandlerType = (key: string, type: string): string =>
  `${key} is not a supported field for the ${type} handler type`;
export const mustBeDefinedForHandlerType = (key: string, type: string): string =>
  `${key} field must be defined for the ${type} handler type`;
export const fileDoesNotExist = (path: string): string => `${show(path)}: file does not exist`;
export const mustBeRelative = (path: string): string =>
  `${show(path)}: must be a relative path (relative to ${CONFIG_DIRECTORY})`;
export const outsideProject = (path: string): string =>
  `${show(path)}: must be inside the project directory (${CONFIG_DIRECTORY})`;
export const invalidQuantity = (value: string): string =>
  `${show(value)}: invalid quantity, some valid examples are 1, 200m, 500Mi, 2G`;
export const invalidDuration = (value: string): string =>
  `${show(value)}: invalid duration, some valid examples are 60s, 5m, 1h30m`;
export const alphaNumericDashUnderscore = (value: string): string =>
  `${show(value)} must contain only letters, numbers, underscores, and dashes`;

/** The URL schemes glia fetches `handler.models` locations from (the worker's model cache). */
export const MODEL_URL_SCHEMES = ["s3://"] as const;
export const modelUrlNotFetchable = (value: string, scheme: string): string =>
  `${show(value)}: glia cannot fetch models from ${scheme}:// URLs; use ${showOr(MODEL_URL_SCHEMES)} ` +
  "(s3://bucket/prefix), or a path inside the project" +
  (scheme === "gs"
    ? "; for Google Cloud Storage, copy the model to S3 or into the project, or point s3:// at " +
      "GCS's S3-compatible XML API (AWS_ENDPOINT_URL_S3=https://storage.googleapis.com with HMAC keys)"
    : "");
