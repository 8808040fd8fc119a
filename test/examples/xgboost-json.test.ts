import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RUNTIME_ROOT } from "../../control-plane/runtime/index.ts";
import { serveExample, type ServedExample, IN_PROCESS_HANDLER } from "../support/example.ts";
import { get, post } from "../support/http.ts";

/** Rows of the diabetes data set keyed by feature name, and what model.json predicts for them with xgboost called directly. */
const DIRECT = `
import json
import xgboost
from sklearn.datasets import load_diabetes
data = load_diabetes(scaled=False)
matrix = data.data[::30]
booster = xgboost.Booster()
booster.load_model("model.json")
print(json.dumps({
    "rows": [dict(zip(data.feature_names, row)) for row in matrix.tolist()],
    "predictions": booster.predict(xgboost.DMatrix(matrix, feature_names=list(data.feature_names))).tolist(),
}))
`;

/** The handler built with `device: cuda` where XGBoost has no CUDA: the device it chose and its log lines. */
const CUDA_ASKED = `${IN_PROCESS_HANDLER}
import xgboost
handler = Handler({"model_path": "model.json", "device": "cuda"})
print(json.dumps({
    "cuda_build": bool(xgboost.build_info().get("USE_CUDA")),
    "device": handler.device,
    "messages": messages,
}))
`;

describe("examples/xgboost-json", { timeout: 900_000 }, () => {
  let example: ServedExample;

  before(async () => {
    example = await serveExample("xgboost-json", { prepare: "train.py" });
  });
  after(async () => example?.stop());

  it("answers JSON rows with the predictions of model.json run directly", async () => {
    const direct = (await example.python(DIRECT)) as { rows: Record<string, number>[]; predictions: number[] };
    const url = example.url("diabetes-progression");
    const res = await post(url, JSON.stringify({ rows: direct.rows }), "application/json");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as { predictions: number[] };
    // Exact. The direct call goes through a DMatrix, the handler through inplace_predict, both on the
    // CPU build: the same float32 features, and each row's trees summed in the same order (XGBoost's
    // CPU predictor splits rows between threads, never one row's trees), so the float32 results are
    // equal to the last bit, and JSON carries them unchanged as float64.
    assert.deepEqual(result.predictions, direct.predictions);
  });

  it("fails a row with a missing feature with a message that names it", async () => {
    const url = example.url("diabetes-progression");
    const row = { age: 59, sex: 2, bmi: 32.1, bp: 101, s1: 157, s2: 93.2, s3: 38, s4: 4, s5: 4.8598 };
    const res = await post(url, JSON.stringify({ rows: [row] }), "application/json");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "failed", JSON.stringify(done.body));
    const error = done.body["error"] as { type: string; message: string };
    assert.equal(error.type, "ValueError");
    assert.match(error.message, /row 0: expected exactly the features age, sex, .*; missing: s6, unknown: none/);
  });

  it("runs on the CPU with a warning when cuda is asked for and XGBoost has no CUDA", async (t) => {
    const built = (await example.python(CUDA_ASKED, { runtime: RUNTIME_ROOT })) as {
      cuda_build: boolean;
      device: string;
      messages: string[];
    };
    if (built.cuda_build) return t.skip("this XGBoost was built with CUDA");
    assert.equal(built.device, "cpu");
    assert.ok(
      built.messages.some((m) => /device cuda was asked for .* using the CPU/.test(m)),
      JSON.stringify(built.messages),
    );
  });
});
