import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { canonicalEndpoint } from "./resolve-api.ts";
import { checkCase, removeProjects, type InvalidCase } from "./test-project.ts";

const T = { timeout: 10_000 };
const DNS =
  "must contain only lower case letters, numbers, and dashes, start with a letter, and cannot end with a dash";
const OTHER_KIND = (kind: string): string =>
  `glia serves AsyncAPI; \`kind: ${kind}\` is not supported (use \`kind: AsyncAPI\` with a handler that implements \`handle_async\`)`;

const INVALID: InvalidCase[] = [
  { title: "name missing", api: { name: undefined }, issues: [["[0].name", "must be defined"]] },
  { title: "name empty", api: { name: "" }, issues: [["[0].name", "cannot be empty"]] },
  { title: "kind empty", api: { kind: "" }, issues: [["kind", 'invalid value (got "", must be `AsyncAPI`)']] },
  { title: "name not a string", api: { name: 5 }, issues: [["[0].name", "5: invalid type (expected string)"]] },
  { title: "name with capitals", api: { name: "Iris" }, issues: [["name", `\`Iris\` ${DNS}`]] },
  { title: "name with underscore", api: { name: "my_api" }, issues: [["name", `\`my_api\` ${DNS}`]] },
  { title: "name starting with a digit", api: { name: "1iris" }, issues: [["name", `\`1iris\` ${DNS}`]] },
  { title: "name ending with a dash", api: { name: "iris-" }, issues: [["name", `\`iris-\` ${DNS}`]] },
  {
    title: "name longer than 42",
    api: { name: "a".repeat(43) },
    issues: [["name", `\`${"a".repeat(43)}\` must be no more than 42 characters`]],
  },
  {
    title: "name starting with b-",
    api: { name: "b-iris" },
    issues: [["name", "`b-iris` cannot start with `b-` (the prefix is reserved)"]],
  },
  { title: "kind missing", api: { kind: undefined }, issues: [["kind", "must be defined"]] },
  { title: "kind RealtimeAPI", api: { kind: "RealtimeAPI" }, issues: [["kind", OTHER_KIND("RealtimeAPI")]] },
  { title: "kind BatchAPI", api: { kind: "BatchAPI" }, issues: [["kind", OTHER_KIND("BatchAPI")]] },
  { title: "kind TaskAPI", api: { kind: "TaskAPI" }, issues: [["kind", OTHER_KIND("TaskAPI")]] },
  {
    title: "kind unknown",
    api: { kind: "asyncapi" },
    issues: [["kind", "invalid value (got `asyncapi`, must be `AsyncAPI`)"]],
  },
  { title: "unknown top-level key", api: { replicas: 3 }, issues: [["replicas", "key `replicas` is not supported"]] },
  {
    title: "predictor instead of handler",
    api: { predictor: { type: "python" } },
    issues: [["predictor", "key `predictor` is not supported (it was renamed to `handler`)"]],
  },
  {
    title: "unknown handler key",
    api: { handler: { file: "x" } },
    issues: [["handler.file", "key `file` is not supported"]],
  },
  {
    title: "unknown networking key",
    api: { networking: { api_gateway: "none" } },
    issues: [["networking.api_gateway", "key `api_gateway` is not supported"]],
  },
  {
    title: "endpoint only a slash",
    api: { networking: { endpoint: "/" } },
    issues: [["networking.endpoint", "`/` is not allowed (a path must be specified)"]],
  },
  {
    title: "endpoint with adjacent slashes",
    api: { networking: { endpoint: "/a//b" } },
    issues: [["networking.endpoint", "`/a//b` cannot contain adjacent slashes"]],
  },
  {
    title: "endpoint with a space",
    api: { networking: { endpoint: "/a b" } },
    issues: [["networking.endpoint", "`/a b` must consist of letters, numbers, '/', '-', '_', or '.'"]],
  },
  {
    title: "endpoint longer than 1000",
    api: { networking: { endpoint: `/${"a".repeat(1000)}` } },
    issues: [["networking.endpoint", `\`/${"a".repeat(1000)}\` must be no more than 1000 characters`]],
  },
  {
    title: "endpoint not a string",
    api: { networking: { endpoint: 5 } },
    issues: [["networking.endpoint", "5: invalid type (expected string)"]],
  },
  {
    title: "networking not a map",
    api: { networking: "x" },
    issues: [["networking", "`x`: invalid type (expected map)"]],
  },
];

describe("invalid name, kind and networking", () => {
  after(removeProjects);
  for (const row of INVALID) test(row.title, T, () => checkCase(row));
});

describe("canonicalEndpoint", () => {
  test("adds a leading slash and drops a trailing one", T, () => {
    assert.equal(canonicalEndpoint("a/b/"), "/a/b");
    assert.equal(canonicalEndpoint("/a"), "/a");
    assert.equal(canonicalEndpoint("/"), "/");
    assert.equal(canonicalEndpoint(""), "/");
  });
});
