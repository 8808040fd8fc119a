import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadProject } from "./load.ts";
import { checkCase, makeProject, removeProjects, withApi, type InvalidCase } from "./test-project.ts";

const T = { timeout: 10_000 };
const tf = (models: unknown): Record<string, unknown> => ({ handler: { type: "tensorflow", models } });
const CANNOT = (value: string, scheme: string): string =>
  `\`${value}\`: glia cannot fetch models from ${scheme}:// URLs; use \`s3://\` (s3://bucket/prefix), or a path inside the project`;
const CORTEX_EXAMPLE = "s3://cortex-examples/tensorflow/iris-classifier/nn/";

const INVALID: InvalidCase[] = [
  {
    title: "an http:// model path",
    api: tf({ path: "http://example.com/nn/" }),
    issues: [["handler.models.path", CANNOT("http://example.com/nn/", "http")]],
  },
  {
    title: "ftp:// and file:// among the paths, each named by its index",
    api: tf({
      paths: [
        { name: "a", path: "s3://bucket/a/" },
        { name: "b", path: "ftp://host/b/" },
        { name: "c", path: "file:///srv/c" },
      ],
    }),
    issues: [
      ["handler.models.paths[1].path", CANNOT("ftp://host/b/", "ftp")],
      ["handler.models.paths[2].path", CANNOT("file:///srv/c", "file")],
    ],
  },
  {
    title: "a gs:// dir, with the ways a GCS user has",
    api: tf({ dir: "gs://bucket/models/" }),
    issues: [
      [
        "handler.models.dir",
        `${CANNOT("gs://bucket/models/", "gs")}; for Google Cloud Storage, copy the model to S3 or into the project, ` +
          "or point s3:// at GCS's S3-compatible XML API (AWS_ENDPOINT_URL_S3=https://storage.googleapis.com with HMAC keys)",
      ],
    ],
  },
  {
    title: "an s3:// URL without a bucket",
    api: tf({ path: "s3:///nn/" }),
    issues: [["handler.models.path", "`s3:///nn/`: not an S3 URL; write it as s3://bucket/prefix"]],
  },
  {
    title: "an s3:// prefix with `..`",
    api: tf({ path: "s3://bucket/a/../../etc/" }),
    issues: [
      ["handler.models.path", "`s3://bucket/a/../../etc/`: the prefix cannot hold an empty, `.` or `..` segment"],
    ],
  },
  {
    title: "an s3:// prefix with an empty segment",
    api: tf({ dir: "s3://bucket/a//b" }),
    issues: [["handler.models.dir", "`s3://bucket/a//b`: the prefix cannot hold an empty, `.` or `..` segment"]],
  },
];

describe("handler.models locations", () => {
  after(removeProjects);
  for (const row of INVALID) test(row.title, T, () => checkCase(row));

  const valid: Array<[string, unknown]> = [
    ["Cortex's example path", { path: CORTEX_EXAMPLE }],
    ["a whole bucket as dir", { dir: "s3://cortex-examples" }],
    ["a prefix without the trailing slash", { dir: "s3://cortex-examples/tensorflow" }],
    [
      "paths mixing S3 and the project",
      {
        paths: [
          { name: "iris", path: CORTEX_EXAMPLE },
          { name: "local", path: "models/local" },
        ],
      },
    ],
  ];
  for (const [title, models] of valid) {
    test(`accepts ${title}, kept as written`, T, async () => {
      const project = await loadProject(makeProject({ "models/local/": "", "cortex.yaml": [withApi(tf(models))] }));
      assert.deepEqual(project.apis[0]?.handler.models, models);
    });
  }
});
