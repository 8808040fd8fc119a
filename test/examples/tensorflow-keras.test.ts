import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { EnvironmentBuildError } from "../../control-plane/runtime/index.ts";
import { serveExample, type ServedExample } from "../support/example.ts";
import { get, post, type Answer } from "../support/http.ts";

/**
 * Both saved models are float32 networks. The served answers and the direct ones below run the
 * same files through the same TensorFlow build on the same float32 rows (JSON carries them
 * exactly), and on this machine they are equal to the last bit (the diagnostics print the largest
 * difference). What may differ elsewhere is the order of float operations inside TensorFlow: oneDNN
 * blocks by thread count, grappler fuses ops in the SavedModel's graph but not in Keras' eager
 * calls, GPU kernels differ from CPU ones; a few float32 ulps (~1e-7 on probabilities <= 1). 1e-5
 * leaves room for that and is far below any real fault: a wrong feature order, a missing
 * normalisation or another model moves probabilities by 1e-2 or more.
 */
const TOLERANCE = 1e-5;

/**
 * pip's words when a pinned package has no release for this platform or Python (TensorFlow has
 * wheels for few of them); a build that fails while installing the example's requirements with
 * them is a skip, any other failure fails the test.
 */
const UNAVAILABLE = /No matching distribution found for (\S+)/;

function unavailable(err: unknown): string | null {
  const installing = err instanceof EnvironmentBuildError && err.message.includes("tensorflow-keras/requirements.txt");
  return installing ? (UNAVAILABLE.exec(err.message)?.[1] ?? null) : null;
}

interface Direct {
  rows: Record<string, number>[];
  features: number[][];
  truth: string[];
  keras: { predictions: string[]; probabilities: number[][] };
  savedModel: { predictions: string[]; class_ids: number[]; probabilities: number[][] };
}

/**
 * Readings the model never saw (seed 1; training used 0), as JSON rows for the Keras API and as
 * the signature's `features` tensor for the SavedModel API, and what both saved files answer when
 * loaded and called here directly: model.keras with keras.models.load_model, saved_model/1 with
 * tf.saved_model.load and its "predict" signature.
 */
const DIRECT = `
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras, tensorflow as tf
from machines import CLASSES, FEATURES, make_dataset

x, y = make_dataset(5, seed=1)
probabilities = keras.models.load_model("model.keras")(x, training=False).numpy()
outputs = tf.saved_model.load("saved_model/1").signatures["predict"](features=tf.constant(x))
print(json.dumps({
    "rows": [dict(zip(FEATURES, row)) for row in x.tolist()],
    "features": x.tolist(),
    "truth": [CLASSES[i] for i in y],
    "keras": {
        "predictions": [CLASSES[i] for i in probabilities.argmax(axis=1)],
        "probabilities": probabilities.tolist(),
    },
    "savedModel": {
        "predictions": [s.decode() for s in outputs["label"].numpy()],
        "class_ids": outputs["class_id"].numpy().tolist(),
        "probabilities": outputs["probabilities"].numpy().tolist(),
    },
}))
`;

/** Asserts every value is within TOLERANCE of the expected one; returns the largest difference. */
function assertClose(actual: number[][], expected: number[][], what: string): number {
  assert.equal(actual.length, expected.length, `${what}: number of rows`);
  let largest = 0;
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i]!.length, `${what}: row ${i} length`);
    row.forEach((value, j) => {
      const diff = Math.abs(value - expected[i]![j]!);
      assert.ok(
        diff <= TOLERANCE,
        `${what}[${i}][${j}]: ${value} vs ${expected[i]![j]} (|diff| ${diff} > ${TOLERANCE})`,
      );
      largest = Math.max(largest, diff);
    });
  });
  return largest;
}

describe("examples/tensorflow-keras", { timeout: 1_800_000 }, () => {
  let example: ServedExample | undefined;
  let skipped: string | undefined;
  let direct: Direct;

  before(async () => {
    const started = Date.now();
    try {
      example = await serveExample("tensorflow-keras", { prepare: "train.py" });
    } catch (err) {
      const missing = unavailable(err);
      if (missing === null) throw err;
      skipped = `TensorFlow cannot be installed here: pip finds no distribution of ${missing} for this platform`;
      console.error(`# examples/tensorflow-keras skipped: ${skipped}`);
      return;
    }
    console.error(`# examples/tensorflow-keras: environment, training and start took ${Date.now() - started} ms`);
    direct = (await example.python(DIRECT)) as Direct;
  });
  after(async () => example?.stop());

  /** The served example, or null after skipping the test with the reason. */
  function served(t: TestContext): ServedExample | null {
    if (example) return example;
    t.skip(skipped);
    return null;
  }

  async function run(api: string, payload: unknown): Promise<Answer> {
    const url = example!.url(api);
    const res = await post(url, JSON.stringify(payload), "application/json");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${String(res.body["id"])}?wait=60`);
    assert.ok(["completed", "failed"].includes(String(done.body["status"])), JSON.stringify(done.body));
    return done;
  }

  it("the python handler answers JSON rows with model.keras' own predictions", async (t) => {
    if (!served(t)) return;
    const done = await run("machine-state-keras", { rows: direct.rows });
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as Direct["keras"];
    assert.deepEqual(result.predictions, direct.keras.predictions);
    t.diagnostic(`largest |diff|: ${assertClose(result.probabilities, direct.keras.probabilities, "probabilities")}`);
  });

  it("the tensorflow handler answers the signature's input with the SavedModel's own outputs", async (t) => {
    if (!served(t)) return;
    const done = await run("machine-state-tf", { features: direct.features });
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as Direct["savedModel"];
    assert.deepEqual(result.predictions, direct.savedModel.predictions);
    assert.deepEqual(result.class_ids, direct.savedModel.class_ids);
    t.diagnostic(
      `largest |diff|: ${assertClose(result.probabilities, direct.savedModel.probabilities, "probabilities")}`,
    );
    // The two files hold the same weights: the Keras file and the SavedModel agree too.
    const files = assertClose(result.probabilities, direct.keras.probabilities, "SavedModel vs model.keras");
    t.diagnostic(`largest |diff| between the SavedModel and model.keras: ${files}`);
    // And the model learned something: most unseen readings get their true state.
    const right = result.predictions.filter((label, i) => label === direct.truth[i]).length;
    assert.ok(right >= 12, `only ${right} of ${direct.truth.length} readings classified right`);
  });

  it("the python handler fails a row without a feature, naming it", async (t) => {
    if (!served(t)) return;
    const row = { ...direct.rows[0] };
    delete row["current_a"];
    const done = await run("machine-state-keras", { rows: [row] });
    assert.equal(done.body["status"], "failed");
    const error = done.body["error"] as { type: string; message: string };
    assert.equal(error.type, "ValueError");
    assert.match(
      error.message,
      /^row 0: missing current_a; expected temperature_c, vibration_mm_s, pressure_bar, current_a$/,
    );
  });

  it("the tensorflow handler fails inputs that do not fit the signature, naming input, dtype and shape", async (t) => {
    if (!served(t)) return;
    const short = await run("machine-state-tf", { features: [[60, 2, 6]] });
    assert.equal(short.body["status"], "failed");
    assert.deepEqual(short.body["error"], {
      type: "ModelInputError",
      message:
        "model 'saved_model' (signature 'predict'): input 'features' has shape [1, 3], " +
        "but the signature takes float32 [None, 4]",
    });
    const misnamed = await run("machine-state-tf", { rows: direct.rows });
    assert.equal(misnamed.body["status"], "failed");
    assert.match(
      String((misnamed.body["error"] as { message: string }).message),
      /missing input features; unknown input rows \(its inputs: features\)/,
    );
    // The runtime keeps serving after its handler's failures.
    const again = await run("machine-state-tf", { features: direct.features.slice(0, 1) });
    assert.equal(again.body["status"], "completed", JSON.stringify(again.body));
  });
});
