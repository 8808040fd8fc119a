import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GliaError } from "../errors.ts";
import { ConfigError, formatIssue, type ConfigIssue } from "./errors.ts";

const T = { timeout: 10_000 };
const issue = (patch: Partial<ConfigIssue>): ConfigIssue => ({
  file: "cortex.yaml",
  api: "iris",
  path: "handler.path",
  message: "`h.py`: file does not exist",
  ...patch,
});

describe("formatIssue", () => {
  test("names file, API, field and problem", T, () => {
    assert.equal(formatIssue(issue({})), "cortex.yaml: iris (AsyncAPI): handler.path: `h.py`: file does not exist");
  });

  test("leaves out an unknown API and an empty path", T, () => {
    assert.equal(
      formatIssue(issue({ api: null, path: "[0].name", message: "must be defined" })),
      "cortex.yaml: [0].name: must be defined",
    );
    assert.equal(formatIssue(issue({ api: null, path: "", message: "m" })), "cortex.yaml: m");
  });
});

describe("ConfigError", () => {
  test("is a GliaError with a stable code and one line per issue", T, () => {
    const cause = new Error("root");
    const error = new ConfigError([issue({}), issue({ path: "kind", message: "must be defined" })], { cause });
    assert.ok(error instanceof GliaError);
    assert.equal(error.name, "ConfigError");
    assert.equal(error.code, "CONFIG_INVALID");
    assert.equal(error.cause, cause);
    assert.equal(error.message.split("\n").length, 2);
    assert.equal(error.message.split("\n")[1], "cortex.yaml: iris (AsyncAPI): kind: must be defined");
  });

  test("keeps a frozen copy of the issues", T, () => {
    const issues = [issue({})];
    const error = new ConfigError(issues);
    issues.push(issue({ path: "kind" }));
    assert.equal(error.issues.length, 1);
    assert.ok(Object.isFrozen(error.issues));
  });
});
