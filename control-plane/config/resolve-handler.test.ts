import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadProject } from "./load.ts";
import { checkCase, makeProject, removeProjects, withApi, type InvalidCase } from "./test-project.ts";

const T = { timeout: 10_000 };
const ONNX =
  "the onnx handler type has been replaced by the python handler type; please use the python handler type instead (all onnx models are fully supported by the python handler type)";
const RELATIVE = "must be a relative path (relative to the directory containing your API configuration file)";
const INSIDE = "must be inside the project directory (the directory containing your API configuration file)";
const REDUNDANT = "is not allowed (the project directory is already on the python path)";
const NOT_FOR_ASYNC = (key: string): string => `${key} key is not supported for AsyncAPI kind`;
const tf = (models: unknown): Record<string, unknown> => ({ handler: { type: "tensorflow", models } });

const INVALID: InvalidCase[] = [
  { title: "handler missing", api: { handler: undefined }, issues: [["handler", "must be defined"]] },
  { title: "handler null", api: { handler: null }, issues: [["handler", "must be defined"]] },
  {
    title: "handler not a map",
    api: { handler: "handler.py" },
    issues: [["handler", "`handler.py`: invalid type (expected map)"]],
  },
  { title: "type missing", api: { handler: { type: undefined } }, issues: [["handler.type", "must be defined"]] },
  { title: "type onnx", api: { handler: { type: "onnx" } }, issues: [["handler.type", ONNX]] },
  {
    title: "type unknown",
    api: { handler: { type: "pytorch" } },
    issues: [["handler.type", "invalid value (got `pytorch`, must be `python` or `tensorflow`)"]],
  },
  { title: "path missing", api: { handler: { path: undefined } }, issues: [["handler.path", "must be defined"]] },
  { title: "path empty", api: { handler: { path: "" } }, issues: [["handler.path", "cannot be empty"]] },
  {
    title: "path with another extension",
    api: { handler: { path: "handler.txt" } },
    files: { "handler.txt": "" },
    issues: [["handler.path", "`handler.txt` must end with `.py` or `.pickle`"]],
  },
  {
    title: "path missing on disk",
    api: { handler: { path: "src/h.py" } },
    issues: [["handler.path", "`src/h.py`: file does not exist"]],
  },
  {
    title: "path naming a directory",
    api: { handler: { path: "pkg.py" } },
    files: { "pkg.py/": "" },
    issues: [["handler.path", "`pkg.py`: file does not exist"]],
  },
  {
    title: "path absolute",
    api: { handler: { path: "/srv/h.py" } },
    issues: [["handler.path", `\`/srv/h.py\`: ${RELATIVE}`]],
  },
  {
    title: "path in home",
    api: { handler: { path: "~/h.py" } },
    issues: [["handler.path", `\`~/h.py\`: ${RELATIVE}`]],
  },
  {
    title: "path leaving the project",
    api: { handler: { path: "../h.py" } },
    issues: [["handler.path", `\`../h.py\`: ${INSIDE}`]],
  },
  {
    title: "path leaving the project midway",
    api: { handler: { path: "src/../../h.py" } },
    issues: [["handler.path", `\`src/../../h.py\`: ${INSIDE}`]],
  },
  {
    title: "python_path .",
    api: { handler: { python_path: "." } },
    issues: [["handler.python_path", `\`.\` ${REDUNDANT}`]],
  },
  {
    title: "python_path ./",
    api: { handler: { python_path: "./" } },
    issues: [["handler.python_path", `\`./\` ${REDUNDANT}`]],
  },
  {
    title: "python_path absolute",
    api: { handler: { python_path: "/usr/lib" } },
    issues: [["handler.python_path", `\`/usr/lib\`: ${RELATIVE}`]],
  },
  {
    title: "python_path missing",
    api: { handler: { python_path: "./lib" } },
    issues: [["handler.python_path", "`lib/`: path does not exist, or has been excluded from your project directory"]],
  },
  {
    title: "env with CORTEX_ prefix",
    api: { handler: { env: { CORTEX_TOKEN: "x" } } },
    issues: [["handler.env.CORTEX_TOKEN", "environment variables starting with CORTEX_ are reserved"]],
  },
  {
    title: "env with GLIA_ prefix",
    api: { handler: { env: { GLIA_API: "x" } } },
    issues: [["handler.env.GLIA_API", "environment variables starting with GLIA_ are reserved"]],
  },
  {
    title: "env value a number",
    api: { handler: { env: { WORKERS: 5 } } },
    issues: [
      [
        "handler.env.WORKERS",
        '5: invalid type (expected string); environment variable values must be strings, so put the value in quotes, e.g. "5"',
      ],
    ],
  },
  {
    title: "env value a boolean",
    api: { handler: { env: { DEBUG: true } } },
    issues: [
      [
        "handler.env.DEBUG",
        '`true`: invalid type (expected string); environment variable values must be strings, so put the value in quotes, e.g. "true"',
      ],
    ],
  },
  {
    title: "config not a map",
    api: { handler: { config: 5 } },
    issues: [["handler.config", "5: invalid type (expected map)"]],
  },
  {
    title: "log_level unknown",
    api: { handler: { log_level: "verbose" } },
    issues: [["handler.log_level", "invalid value (got `verbose`, must be `debug`, `info`, `warning`, or `error`)"]],
  },
  {
    title: "shm_size not a quantity",
    api: { handler: { shm_size: "lots" } },
    issues: [["handler.shm_size", "`lots`: invalid quantity, some valid examples are 1, 200m, 500Mi, 2G"]],
  },
  {
    title: "shm_size zero",
    api: { handler: { shm_size: "0" } },
    issues: [["handler.shm_size", "`0` must be greater than 0"]],
  },
  {
    title: "processes_per_replica above 1",
    api: { handler: { processes_per_replica: 2 } },
    issues: [["handler.processes_per_replica", NOT_FOR_ASYNC("processes_per_replica")]],
  },
  {
    title: "threads_per_process above 1",
    api: { handler: { threads_per_process: 4 } },
    issues: [["handler.threads_per_process", NOT_FOR_ASYNC("threads_per_process")]],
  },
  {
    title: "processes_per_replica zero",
    api: { handler: { processes_per_replica: 0 } },
    issues: [["handler.processes_per_replica", "0 must be greater than or equal to 1"]],
  },
  {
    title: "server_side_batching",
    api: { handler: { server_side_batching: { max_batch_size: 8, batch_interval: "1s" } } },
    issues: [["handler.server_side_batching", NOT_FOR_ASYNC("server_side_batching")]],
  },
  {
    title: "multi_model_reloading",
    api: { handler: { multi_model_reloading: { path: "s3://m/" } } },
    issues: [["handler.multi_model_reloading", NOT_FOR_ASYNC("multi_model_reloading")]],
  },
  {
    title: "protobuf_path",
    api: { handler: { protobuf_path: "api.proto" } },
    issues: [["handler.protobuf_path", NOT_FOR_ASYNC("protobuf_path")]],
  },
  {
    title: "image not an image reference",
    api: { handler: { image: "My Image" } },
    issues: [["handler.image", "`My Image` is not a valid docker image path"]],
  },
  {
    title: "tensorflow_serving_image for python",
    api: { handler: { tensorflow_serving_image: "tensorflow/serving:2.3.0" } },
    issues: [
      [
        "handler.tensorflow_serving_image",
        "tensorflow_serving_image is not a supported field for the python handler type",
      ],
    ],
  },
  {
    title: "models for python",
    api: { handler: { models: { path: "s3://bucket/model/" } } },
    issues: [["handler.models", "models is not a supported field for the python handler type"]],
  },
  {
    title: "tensorflow without models",
    api: { handler: { type: "tensorflow" } },
    issues: [["handler.models", "models field must be defined for the tensorflow handler type"]],
  },
  {
    title: "tensorflow models with path and dir",
    api: tf({ path: "s3://b/m/", dir: "s3://b/" }),
    issues: [
      ["handler.models", "please specify either the path or dir field (both cannot be specified at the same time)"],
    ],
  },
  {
    title: "tensorflow models empty",
    api: tf({}),
    issues: [["handler.models", "please specify only one of the following fields `path`, `paths`, or `dir`"]],
  },
  {
    title: "tensorflow models cache_size",
    api: tf({ dir: "s3://b/", cache_size: 2 }),
    issues: [["handler.models.cache_size", NOT_FOR_ASYNC("cache_size")]],
  },
  {
    title: "tensorflow model names repeated",
    api: tf({
      paths: [
        { name: "a", path: "s3://b/1/" },
        { name: "a", path: "s3://b/2/" },
      ],
    }),
    issues: [["handler.models.paths[1].name", "cannot have multiple models with the same name (a)"]],
  },
  {
    title: "tensorflow model path entry with an unknown key",
    api: tf({ paths: [{ name: "a", path: "s3://b/1/", version: 1 }] }),
    issues: [["handler.models.paths[0].version", "key `version` is not supported"]],
  },
  {
    title: "dependencies with an unknown key",
    api: { handler: { dependencies: { npm: "package.json" } } },
    issues: [["handler.dependencies.npm", "key `npm` is not supported"]],
  },
  {
    title: "dependencies.pip absolute",
    api: { handler: { dependencies: { pip: "/etc/requirements.txt" } } },
    issues: [["handler.dependencies.pip", `\`/etc/requirements.txt\`: ${RELATIVE}`]],
  },
  {
    title: "dependencies.pip leaving the project",
    api: { handler: { dependencies: { pip: "../requirements.txt" } } },
    issues: [["handler.dependencies.pip", `\`../requirements.txt\`: ${INSIDE}`]],
  },
  {
    title: "dependencies.shell named but missing",
    api: { handler: { dependencies: { shell: "setup/install.sh" } } },
    issues: [["handler.dependencies.shell", "`setup/install.sh`: file does not exist"]],
  },
];

describe("invalid handler", () => {
  after(removeProjects);
  for (const row of INVALID) test(row.title, T, () => checkCase(row));
});

async function handlerOf(patch: Record<string, unknown>, files: Record<string, unknown> = {}) {
  const project = await loadProject(makeProject({ ...files, "cortex.yaml": [withApi(patch)] }));
  return { handler: project.apis[0]?.handler, warnings: project.warnings };
}

describe("valid handler", () => {
  after(removeProjects);

  test("normalises paths relative to the project", T, async () => {
    const files = { "src/handler.py": "", "lib/": "" };
    const { handler } = await handlerOf({ handler: { path: "./src//handler.py", python_path: "./lib" } }, files);
    assert.equal(handler?.path, "src/handler.py");
    assert.equal(handler?.pythonPath, "lib/");
  });

  test("keeps config, env, log level, shm size and image as given", T, async () => {
    const handler = {
      config: { model: "s3://b/m", nested: { k: [1, 2] } },
      env: { MODE: "fast", EMPTY: "" },
      log_level: "warning",
      shm_size: "1Gi",
      image: "registry.example.com:5000/team/glia-torch:1.2",
    };
    const { handler: resolved } = await handlerOf({ handler, compute: { mem: "2Gi" } });
    assert.deepEqual(resolved?.config, handler.config);
    assert.deepEqual(resolved?.env, handler.env);
    assert.equal(resolved?.logLevel, "warning");
    assert.equal(resolved?.shmSize, "1Gi");
    assert.equal(resolved?.image, handler.image);
  });

  test("accepts a pickled handler and explicit single-process settings", T, async () => {
    const patch = { handler: { path: "h.pickle", processes_per_replica: 1, threads_per_process: 1 } };
    const { handler } = await handlerOf(patch, { "h.pickle": "" });
    assert.equal(handler?.path, "h.pickle");
  });

  test("resolves the tensorflow type with its models", T, async () => {
    const models = { paths: [{ name: "a", path: "s3://b/1/", signature_key: "serve" }] };
    const { handler } = await handlerOf(tf(models));
    assert.equal(handler?.type, "tensorflow");
    assert.deepEqual(handler?.models, models);
  });

  test("lets default dependency files be absent, even when named", T, async () => {
    const dependencies = { pip: "requirements.txt", conda: "conda-packages.txt" };
    const { handler, warnings } = await handlerOf({ handler: { dependencies } });
    assert.deepEqual(handler?.dependencies, {
      pip: "requirements.txt",
      conda: "conda-packages.txt",
      shell: "dependencies.sh",
    });
    assert.deepEqual(warnings, []);
  });

  test("accepts custom dependency files that exist", T, async () => {
    const dependencies = { pip: "./deps/pip.txt", shell: "deps/setup.sh" };
    const files = { "deps/pip.txt": "numpy\n", "deps/setup.sh": "" };
    const { handler } = await handlerOf({ handler: { dependencies } }, files);
    assert.equal(handler?.dependencies.pip, "deps/pip.txt");
    assert.equal(handler?.dependencies.shell, "deps/setup.sh");
  });

  test("warns, without failing, when a conda file is present", T, async () => {
    const dependencies = { pip: "deps.txt", conda: "conda.txt" };
    const files = { "conda.txt": "numpy\n", "deps.txt": "" };
    const { warnings } = await handlerOf({ handler: { dependencies } }, files);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? "",
      /: iris \(AsyncAPI\): handler\.dependencies\.conda: conda\.txt is present but glia does not run conda, so its packages will not be installed; move them to deps\.txt \(pip\)$/,
    );
  });
});
