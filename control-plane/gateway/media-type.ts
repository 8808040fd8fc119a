/**
 * Content-Type parsing as the runtime does it (`parse_media_type` in
 * python-runtime/glia_runtime/payload.py), so that the gateway checks a body against the same
 * media type and charset the runtime will decode it with: type and subtype are case-insensitive
 * tokens, parameters `name=token` or `name="quoted string"` after `;`, malformed parameters are
 * skipped, and the first occurrence of a name wins.
 */

export interface MediaType {
  /** Lower-cased `type/subtype`. */
  essence: string;
  /** Lower-cased names; values as sent, quotes removed. */
  params: Map<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;
const WHITESPACE = /^[ \t]+|[ \t]+$/g;

const strip = (text: string): string => text.replace(WHITESPACE, "");

/** The media type of a Content-Type value, or null when it has no valid `type/subtype`. */
export function parseMediaType(value: string): MediaType | null {
  const semicolon = value.indexOf(";");
  const essence = strip(semicolon < 0 ? value : value.slice(0, semicolon));
  const rest = semicolon < 0 ? "" : value.slice(semicolon + 1);
  const slash = essence.indexOf("/");
  if (slash < 0) return null;
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  return { essence: `${type}/${subtype}`.toLowerCase(), params: parseParams(rest) };
}

function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let position = 0;
  while (position < text.length) {
    const [name, value, next] = nextParam(text, position);
    position = next;
    const key = name.toLowerCase();
    if (value && TOKEN.test(name) && !params.has(key)) params.set(key, value);
  }
  return params;
}

/** One `name=value` from `start`: the name, the value (null when malformed) and where the next one starts. */
function nextParam(text: string, start: number): [string, string | null, number] {
  const equals = text.indexOf("=", start);
  const semicolon = text.indexOf(";", start);
  if (equals < 0 || (semicolon >= 0 && semicolon < equals)) {
    return ["", null, semicolon < 0 ? text.length : semicolon + 1];
  }
  const name = strip(text.slice(start, equals));
  const valueStart = equals + 1;
  let value: string;
  let end: number;
  if (text[valueStart] === '"') {
    [value, end] = readQuoted(text, valueStart + 1);
  } else {
    const found = text.indexOf(";", valueStart);
    end = found < 0 ? text.length : found;
    value = strip(text.slice(valueStart, end));
  }
  const following = text.indexOf(";", end);
  return [name, value, following < 0 ? text.length : following + 1];
}

/** The body of a quoted string from `start` (just past the opening quote), and where it ends. */
function readQuoted(text: string, start: number): [string, number] {
  let out = "";
  let position = start;
  while (position < text.length) {
    const ch = text[position]!;
    if (ch === "\\" && position + 1 < text.length) {
      out += text[position + 1];
      position += 2;
      continue;
    }
    if (ch === '"') return [out, position + 1];
    out += ch;
    position++;
  }
  return [out, position];
}
