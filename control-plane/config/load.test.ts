import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import { ConfigError } from "./errors.ts";
import { loadProject, MAX_CONFIG_BYTES } from "./load.ts";
import { BASE_API, makeProject, removeProjects } from "./test-project.ts";

const T = { timeout: 10_000 };

async function loadError(target: string): Promise<ConfigError> {
  const error: unknown = await loadProject(target).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  return error;
}

describe("loadProject", () => {
  after(removeProjects);

  test("reads cortex.yaml from a project directory", T, async () => {
    const dir = makeProject({ "cortex.yaml": [BASE_API] });
    const project = await loadProject(dir);
    assert.equal(project.configFile, join(dir, "cortex.yaml"));
    assert.equal(project.projectDir, dir);
    assert.deepEqual(
      project.apis.map((api) => api.name),
      ["iris"],
    );
    assert.deepEqual(project.warnings, []);
  });

  test("reads a named .yml file; its directory is the project", T, async () => {
    const dir = makeProject({
      "deploy/apis.yml": [{ ...BASE_API, handler: { type: "python", path: "h.py" } }],
      "deploy/h.py": "",
    });
    const project = await loadProject(join(dir, "deploy", "apis.yml"));
    assert.equal(project.projectDir, join(dir, "deploy"));
    assert.equal(project.apis[0]?.handler.path, "h.py");
  });

  test("gives absolute paths for a relative target", T, async () => {
    const dir = makeProject({ "cortex.yaml": [BASE_API] });
    const project = await loadProject(relative(process.cwd(), dir));
    assert.equal(project.projectDir, dir);
  });

  test("says which file it looked for when the directory has none", T, async () => {
    const dir = makeProject();
    const error = await loadError(dir);
    const file = join(dir, "cortex.yaml");
    assert.equal(error.message, `${file}: no cortex.yaml in the project directory (looked for ${file})`);
  });

  test("says when the target does not exist", T, async () => {
    const missing = join(makeProject(), "nowhere");
    const error = await loadError(missing);
    assert.equal(error.message, `${missing}: no such file or directory (looked for ${missing})`);
  });

  test("refuses a file that is not .yaml or .yml", T, async () => {
    const file = join(makeProject(), "handler.py");
    const error = await loadError(file);
    assert.equal(
      error.message,
      `${file}: expected a .yaml or .yml file, or a project directory containing cortex.yaml`,
    );
  });

  test("reports YAML syntax errors with line and column", T, async () => {
    const dir = makeProject({ "cortex.yaml": "- name: iris\n  kind: [AsyncAPI\n" });
    const error = await loadError(dir);
    assert.equal(error.issues.length, 1);
    assert.match(error.issues[0]?.message ?? "", /^invalid yaml: .+ \(line \d+, column \d+\)$/);
    assert.equal(error.issues[0]?.path, "");
  });

  test("reports repeated keys as YAML errors", T, async () => {
    const dir = makeProject({ "cortex.yaml": "- name: iris\n  name: iris2\n" });
    const error = await loadError(dir);
    assert.equal(
      error.message,
      `${join(dir, "cortex.yaml")}: invalid yaml: Map keys must be unique (line 2, column 3)`,
    );
  });

  test("reports repeated keys in nested and flow maps, each with its place", T, async () => {
    const text =
      "- name: iris\n  kind: AsyncAPI\n  handler: {type: python, path: h.py, type: python}\n  1: a\n  '1': b\n";
    const error = await loadError(makeProject({ "cortex.yaml": text }));
    assert.deepEqual(
      error.issues.map((issue) => issue.message),
      ["invalid yaml: Map keys must be unique (line 3, column 39)"],
      "1 and '1' are different keys, as YAML has them",
    );
  });

  test("reports an empty file as having no APIs", T, async () => {
    const dir = makeProject({ "cortex.yaml": "" });
    const error = await loadError(dir);
    assert.equal(error.message, `${join(dir, "cortex.yaml")}: at least one API must be configured`);
  });

  test("refuses a file over 256 KiB before parsing it, naming its size and the limit", T, async () => {
    const valid = stringify([BASE_API]);
    const padded = (size: number): string => `${valid}#${"x".repeat(size - valid.length - 2)}\n`;
    assert.equal(Buffer.byteLength(padded(MAX_CONFIG_BYTES)), MAX_CONFIG_BYTES);
    const atLimit = await loadProject(makeProject({ "cortex.yaml": padded(MAX_CONFIG_BYTES) }));
    assert.equal(atLimit.apis[0]?.name, "iris", "a file of exactly the limit is read");
    // Over the limit, even text that is not YAML gets the size message: nothing was parsed.
    const dir = makeProject({ "cortex.yaml": `[${"x".repeat(MAX_CONFIG_BYTES)}` });
    const error = await loadError(dir);
    assert.equal(
      error.message,
      `${join(dir, "cortex.yaml")}: the file is ${MAX_CONFIG_BYTES + 1} bytes, over the limit of 262144 bytes (256 KiB); ` +
        "a cortex.yaml describes APIs, not data",
    );
  });

  test("refuses YAML whose aliases expand past 100 nodes (an alias bomb)", T, async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, name] of ["b", "c", "d", "e", "f"].entries()) {
      const prev = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const error = await loadError(makeProject({ "cortex.yaml": `${levels.join("\n")}\n` }));
    assert.match(error.message, /cortex\.yaml: invalid yaml: Excessive alias count/);
  });

  test("refuses a target that is neither a file nor a directory, without reading it", T, async () => {
    const error = await loadError("/dev/zero");
    assert.equal(error.message, "/dev/zero: not a regular file or a directory");
  });

  test("names the file as given in messages", T, async () => {
    const dir = makeProject();
    writeFileSync(join(dir, "cortex.yaml"), stringify([{ ...BASE_API, kind: "TaskAPI" }]));
    const error = await loadError(relative(process.cwd(), dir));
    assert.ok(
      error.message.startsWith(`${join(relative(process.cwd(), dir), "cortex.yaml")}: iris (AsyncAPI): kind: `),
    );
  });
});
