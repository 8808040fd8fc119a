import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RUNTIME_ROOT } from "../../control-plane/runtime/index.ts";
import { serveExample, type ServedExample, IN_PROCESS_HANDLER } from "../support/example.ts";
import { get, post } from "../support/http.ts";

/** Rows of the breast-cancer data set, and what model.onnx answers for them with onnxruntime called directly. */
const DIRECT = `
import json
import numpy as np, onnxruntime
from sklearn.datasets import load_breast_cancer
rows = load_breast_cancer().data[::40]
session = onnxruntime.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
labels, probabilities = session.run(None, {session.get_inputs()[0].name: rows.astype(np.float32)})
classes = json.loads(session.get_modelmeta().custom_metadata_map["classes"])
print(json.dumps({
    "rows": rows.tolist(),
    "predictions": [classes[i] for i in labels],
    "probabilities": probabilities.tolist(),
}))
`;

/** The handler built with `device: cuda` where onnxruntime has no CUDA provider: its providers and log lines. */
const CUDA_ASKED = `${IN_PROCESS_HANDLER}
import onnxruntime
handler = Handler({"model_path": "model.onnx", "device": "cuda"})
print(json.dumps({
    "available": onnxruntime.get_available_providers(),
    "providers": handler.session.get_providers(),
    "messages": messages,
}))
`;

/**
 * Probabilities may differ from the direct call by this much. Both are the same onnxruntime build
 * on the same CPU, so they are normally bit-identical; but a tree ensemble's sum of votes is split
 * across the session's threads, so another thread count may change the last float32 bits
 * (~6e-8 relative). 1e-6 allows that and still catches a wrong row, feature order or model.
 */
const PROBABILITY_TOLERANCE = 1e-6;

describe("examples/onnx-tabular", { timeout: 900_000 }, () => {
  let example: ServedExample;

  before(async () => {
    example = await serveExample("onnx-tabular", { prepare: "train.py" });
  });
  after(async () => example?.stop());

  it("answers JSON rows with the predictions of model.onnx run directly", async () => {
    const direct = (await example.python(DIRECT)) as {
      rows: number[][];
      predictions: string[];
      probabilities: number[][];
    };
    assert.deepEqual([...new Set(direct.predictions)].sort(), ["benign", "malignant"], "the rows cover both classes");
    const url = example.url("tumor-classifier");
    const res = await post(url, JSON.stringify({ rows: direct.rows }), "application/json");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as { predictions: string[]; probabilities: number[][] };
    // Labels: exact.
    assert.deepEqual(result.predictions, direct.predictions);
    assert.equal(result.probabilities.length, direct.probabilities.length);
    result.probabilities.forEach((row, i) => {
      const expected = direct.probabilities[i]!;
      assert.equal(row.length, expected.length);
      row.forEach((p, j) =>
        assert.ok(Math.abs(p - expected[j]!) <= PROBABILITY_TOLERANCE, `row ${i}, class ${j}: ${p} vs ${expected[j]}`),
      );
    });
  });

  it("fails rows of the wrong length with a message that says what was expected", async () => {
    const url = example.url("tumor-classifier");
    const res = await post(url, JSON.stringify({ rows: [[1.0, 2.0]] }), "application/json");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "failed", JSON.stringify(done.body));
    const error = done.body["error"] as { type: string; message: string };
    assert.equal(error.type, "ValueError");
    assert.match(error.message, /expected rows of 30 numbers, got an array of shape \(1, 2\)/);
  });

  it("runs on the CPU with a warning when cuda is asked for and onnxruntime has no CUDA provider", async (t) => {
    const built = (await example.python(CUDA_ASKED, { runtime: RUNTIME_ROOT })) as {
      available: string[];
      providers: string[];
      messages: string[];
    };
    if (built.available.includes("CUDAExecutionProvider")) return t.skip("this onnxruntime has a CUDA provider");
    assert.deepEqual(built.providers, ["CPUExecutionProvider"]);
    assert.ok(
      built.messages.some((m) => /device cuda was asked for .* using the CPU/.test(m)),
      JSON.stringify(built.messages),
    );
  });
});
