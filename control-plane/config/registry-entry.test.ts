import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { checkRegistryEntry, checkResolvedSpec, RegistryEntryError } from "./registry-entry.ts";
import { resolveConfig } from "./resolve.ts";
import { makeProject, removeProjects, withApi } from "./test-project.ts";
import type { DeployedApi, ResolvedApiSpec } from "./types.ts";

const T = { timeout: 10_000 };
const BUNDLE = `sha256-${"ab12".repeat(10)}`;

function resolved(patch: Record<string, unknown> = {}): ResolvedApiSpec {
  const dir = makeProject({ "models/m/saved_model.pb": "" });
  return resolveConfig([withApi(patch)], "cortex.yaml", dir).apis[0]!;
}

function entry(spec: unknown = resolved()): Record<string, unknown> {
  return { spec, bundle: BUNDLE, configFile: "/p/cortex.yaml", deployedAt: "2026-01-02T03:04:05.678Z" };
}

/** A copy of a valid entry to break: any field may be set to anything. */
interface Editable {
  spec: ResolvedApiSpec & Record<string, unknown>;
  [field: string]: unknown;
}

/** Writes `value` at `path` of `e`, whatever the types say (a hostile entry would). */
function set(e: Editable, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = e as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** Applies `change` to a copy of a valid entry and returns the issues found, as `path: message`. */
function issues(change: (e: Editable) => void, key = "iris"): string[] {
  const e = structuredClone(entry()) as Editable;
  change(e);
  const checked = checkRegistryEntry(key, e);
  assert.ok(checked instanceof RegistryEntryError, "the entry was accepted");
  return checked.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("checkRegistryEntry", () => {
  after(removeProjects);

  test("accepts what glia deploy writes, for both handler types", T, () => {
    const plain = entry();
    assert.deepEqual(checkRegistryEntry("iris", plain), plain);
    const tf = entry(resolved({ handler: { type: "tensorflow", path: "handler.py", models: { dir: "models" } } }));
    assert.deepEqual(checkRegistryEntry("iris", tf), tf as unknown as DeployedApi);
  });

  test("refuses a bundle id that is a path", T, () => {
    assert.deepEqual(
      issues((e) => (e["bundle"] = "../../x/victim")),
      ['bundle: "../../x/victim" is not a bundle id (sha256- and 40 hex digits)'],
    );
  });

  test("refuses handler paths that leave the bundle, however written", T, () => {
    for (const path of ["../../../../srv/outside.py", "/srv/outside.py", "a/../../outside.py", "~/outside.py"]) {
      const found = issues((e) => (e.spec.handler.path = path));
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(found[0]!, /^spec\.handler\.path: .*(must be a relative path|must be inside the project)/);
    }
    assert.match(issues((e) => (e.spec.handler.path = "./x/../handler.py"))[0]!, /not in normal form/);
    assert.match(issues((e) => (e.spec.handler.path = "handler.sh"))[0]!, /must end with `\.py` or `\.pickle`/);
  });

  test("refuses python_path, dependency files and model paths outside the bundle", T, () => {
    assert.match(issues((e) => (e.spec.handler.pythonPath = "../lib/"))[0]!, /^spec\.handler\.pythonPath: /);
    assert.match(
      issues((e) => (e.spec.handler.dependencies.shell = "../../etc/x.sh"))[0]!,
      /^spec\.handler\.dependencies\.shell: .*inside the project/,
    );
    const tf = (e: Editable): void => {
      e.spec.handler.type = "tensorflow";
      e.spec.handler.models = { paths: [{ name: "m", path: "../../models/m" }] };
    };
    assert.match(issues(tf)[0]!, /^spec\.handler\.models\.paths\[0\]\.path: .*inside the project/);
  });

  test("takes an s3:// model location, and refuses a URL glia cannot fetch", T, () => {
    const models = (location: string) => (e: Editable) => {
      e.spec.handler.type = "tensorflow";
      e.spec.handler.models = { path: location };
    };
    const s3 = structuredClone(entry()) as Editable;
    models("s3://bucket/models/iris/")(s3);
    assert.deepEqual(checkRegistryEntry("iris", s3), s3);
    assert.match(
      issues(models("http://example.com/m"))[0]!,
      /^spec\.handler\.models\.path: .*cannot fetch models from http:\/\//,
    );
    assert.match(issues(models("s3://bucket/a/../b"))[0]!, /^spec\.handler\.models\.path: .*segment/);
  });

  test("applies the cortex.yaml rules to names and endpoints, reserved and nested paths included", T, () => {
    assert.match(issues((e) => (e.spec.name = "Evil"), "Evil").join("\n"), /key is not an API name/);
    assert.deepEqual(
      issues((e) => (e.spec.name = "other")),
      ['spec.name: "other" differs from the key'],
    );
    assert.match(issues((e) => (e.spec.endpoint = "/metrics"))[0]!, /^spec\.endpoint: .*reserved for glia/);
    assert.match(issues((e) => (e.spec.endpoint = "/_glia/docs"))[0]!, /reserved for glia/);
    assert.match(issues((e) => (e.spec.endpoint = "/a/../b"))[0]!, /path segments/);
    assert.match(issues((e) => (e.spec.endpoint = "hello"))[0]!, /must start with `\/`/);
  });

  test("checks every field's type and collects every problem in one error", T, () => {
    const found = issues((e) => {
      set(e, "spec.autoscaling.minReplicas", "2");
      e.spec.handler.env = { GLIA_X: "1" };
      e.spec["extra"] = true;
      e["deployedAt"] = "yesterday";
      delete e["configFile"];
    });
    assert.equal(found.length, 5, found.join("\n"));
    const error = checkRegistryEntry("iris", { ...entry(), bundle: 5 }) as RegistryEntryError;
    assert.match(error.message, /^registry entry "iris" is refused: bundle: .*; deploy the API again/);
  });

  test("refuses entries that are not maps", T, () => {
    for (const value of [null, "x", [entry()], 5]) assert.ok(checkRegistryEntry("iris", value) instanceof Error);
  });
});

describe("checkResolvedSpec", () => {
  after(removeProjects);

  test("accepts a resolved spec and names the file of a bad one", T, () => {
    const spec = resolved();
    assert.deepEqual(checkResolvedSpec("spec.json", spec), spec);
    const bad = checkResolvedSpec("spec.json", { ...spec, handler: { ...spec.handler, path: "../x.py" } });
    assert.ok(bad instanceof RegistryEntryError);
    assert.match(bad.message, /^the API spec in spec\.json is refused: handler\.path: /);
  });
});
