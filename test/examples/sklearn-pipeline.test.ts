import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serveExample, type ServedExample } from "../support/example.ts";
import { get, post } from "../support/http.ts";

/** Rows of the wine data set, pickled as the example's README sends them, and the pipeline's own answers. */
const DIRECT = `
import base64, json, pickle, joblib
from sklearn.datasets import load_wine
rows = load_wine().data[::20]
saved = joblib.load("model.joblib")
print(json.dumps({
    "payload": base64.b64encode(pickle.dumps(rows)).decode(),
    "predictions": [saved["classes"][i] for i in saved["pipeline"].predict(rows)],
    "probabilities": saved["pipeline"].predict_proba(rows).tolist(),
}))
`;

describe("examples/sklearn-pipeline", { timeout: 900_000 }, () => {
  let example: ServedExample;

  before(async () => {
    example = await serveExample("sklearn-pipeline", { prepare: "train.py" });
  });
  after(async () => example?.stop());

  it("answers a pickled array of rows with the pipeline's own predictions", async () => {
    const direct = (await example.python(DIRECT)) as {
      payload: string;
      predictions: string[];
      probabilities: number[][];
    };
    const url = example.url("wine-classifier");
    const res = await post(url, Buffer.from(direct.payload, "base64"), "application/octet-stream");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await get(`${url}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    const result = done.body["result"] as { predictions: string[]; probabilities: number[][] };
    assert.deepEqual(result.predictions, direct.predictions);
    // JSON round trip of float64: equal to the last bit.
    assert.deepEqual(result.probabilities, direct.probabilities);
  });

  it("fails a payload of the wrong shape with a message that says what was expected", async () => {
    const bad = (await example.python(
      `import base64, json, pickle; print(json.dumps(base64.b64encode(pickle.dumps([[1.0, 2.0]])).decode()))`,
    )) as string;
    const res = await post(example.url("wine-classifier"), Buffer.from(bad, "base64"), "application/octet-stream");
    const done = await get(`${example.url("wine-classifier")}/${res.body["id"]}?wait=60`);
    assert.equal(done.body["status"], "failed");
    assert.match(String((done.body["error"] as { message: string }).message), /expected rows of 13 features/);
  });
});
