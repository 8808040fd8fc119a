import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RUNTIME_ROOT } from "../../control-plane/runtime/index.ts";
import { serveExample, type ServedExample, IN_PROCESS_HANDLER } from "../support/example.ts";
import { get, post, type Answer } from "../support/http.ts";

const APIS = ["shapes-torchscript", "shapes-state-dict"] as const;

interface Predictions {
  classes: string[];
  labels: string[];
  probabilities: number[][];
}

interface Direct {
  device: string;
  truth: string[];
  pngs: string[];
  predictions: Record<(typeof APIS)[number], Predictions>;
}

/**
 * PNGs of shapes the model never saw (seed 7; training used 0), one of them RGB and 56x56 so the
 * handler has to convert and resize, and what both saved files answer for them when loaded and run
 * here directly: the TorchScript file with torch.jit.load, the state_dict into model.ShapeNet.
 * The pixels are decoded from the PNG bytes here, independently of the handler's transform, on the
 * device the handler's `auto` picks.
 */
const DIRECT = `
import base64, io, json
import numpy as np, torch
from PIL import Image
from model import ShapeNet
from shapes import CLASSES, dataset

images, labels = dataset(8, seed=7)
images.append(images[1].convert("RGB").resize((56, 56), Image.Resampling.NEAREST))
labels.append(labels[1])
pngs = []
for image in images:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pngs.append(buffer.getvalue())

def pixels(png):
    image = Image.open(io.BytesIO(png)).convert("L")
    if image.size != (28, 28):
        image = image.resize((28, 28), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float32) / 255.0

device = "cuda" if torch.cuda.is_available() else "cpu"
x = torch.from_numpy(np.stack([pixels(png) for png in pngs]))[:, None].to(device)
scripted = torch.jit.load("model.torchscript.pt", map_location=device).eval()
checkpoint = torch.load("model.pt", map_location=device, weights_only=True)
eager = ShapeNet(checkpoint["classes"])
eager.load_state_dict(checkpoint["state_dict"])
eager.to(device).eval()

def predict(model, classes):
    with torch.inference_mode():  # one image at a time, as the handler runs them
        probabilities = torch.cat([torch.softmax(model(image), dim=1) for image in x.split(1)]).cpu()
    predicted = [classes[i] for i in probabilities.argmax(dim=1).tolist()]
    return {"classes": classes, "labels": predicted, "probabilities": probabilities.tolist()}

print(json.dumps({
    "device": device,
    "truth": [CLASSES[label] for label in labels],
    "pngs": [base64.b64encode(png).decode() for png in pngs],
    "predictions": {
        "shapes-torchscript": predict(scripted, list(scripted.classes)),
        "shapes-state-dict": predict(eager, checkpoint["classes"]),
    },
}))
`;

/** The handler built with \`device: cuda\`, in process: the device it picked and what it logged. */
const CUDA_ASKED = `${IN_PROCESS_HANDLER}
import torch
handler = Handler({"model_path": "model.pt", "model_format": "state_dict", "device": "cuda"})
print(json.dumps({"available": torch.cuda.is_available(), "device": handler.device, "messages": messages}))
`;

/**
 * Probabilities may differ from the direct call by this much (absolute). Both run the same torch
 * build's float32 kernels on the same pixels, one image at a time, so they are normally
 * bit-identical; but the handler runs in another process, whose thread count or kernel choice
 * (oneDNN on a CPU, cuDNN on a GPU) may sum the convolutions in another order and move
 * the last float32 bits (a batch of nine instead of one image moves them by up to ~3e-8 here).
 * 1e-5 allows that with room, and still catches a wrong transform (another resize filter moves the
 * 56x56 image's answer by ~4e-3) or other weights.
 */
const PROBABILITY_TOLERANCE = 1e-5;

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((p, j) =>
    assert.ok(Math.abs(p - expected[j]!) <= PROBABILITY_TOLERANCE, `${what}, class ${j}: ${p} vs ${expected[j]}`),
  );
}

/** POSTs `body` as image/png to `api` and waits (bounded) for the request to end. */
async function classify(example: ServedExample, api: string, body: Uint8Array): Promise<Answer> {
  const url = example.url(api);
  const res = await post(url, body, "image/png");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const done = await get(`${url}/${res.body["id"]}?wait=60`);
  assert.ok(["completed", "failed"].includes(String(done.body["status"])), JSON.stringify(done.body));
  return done;
}

describe("examples/pytorch-image", { timeout: 900_000 }, () => {
  let example: ServedExample;
  let direct: Direct;

  before(async () => {
    // The first run builds an environment with torch (a few minutes); then it is cached.
    example = await serveExample("pytorch-image", { prepare: "train.py" });
    direct = (await example.python(DIRECT)) as Direct;
  });
  after(async () => example?.stop());

  it("ships two files that hold the same, working model", () => {
    const [scripted, eager] = APIS.map((api) => direct.predictions[api]);
    assert.deepEqual(scripted!.classes, ["circle", "square", "triangle", "cross"]);
    assert.deepEqual(eager!.classes, scripted!.classes);
    assert.deepEqual(eager!.labels, scripted!.labels);
    eager!.probabilities.forEach((row, i) => assertClose(row, scripted!.probabilities[i]!, `image ${i}`));
    const right = scripted!.labels.filter((label, i) => label === direct.truth[i]).length;
    assert.ok(right >= 7, `only ${right} of ${direct.truth.length} shapes recognised: ${scripted!.labels}`);
  });

  for (const api of APIS) {
    it(`${api} answers PNG bytes with the saved model's own predictions`, async () => {
      const expected = direct.predictions[api];
      const answers = await Promise.all(direct.pngs.map((png) => classify(example, api, Buffer.from(png, "base64"))));
      answers.forEach((done, i) => {
        assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
        const result = done.body["result"] as {
          label: string;
          probabilities: number[];
          classes: string[];
          device: string;
        };
        assert.equal(result.label, expected.labels[i], `image ${i}`);
        assert.deepEqual(result.classes, expected.classes);
        assert.equal(result.device, direct.device);
        assertClose(result.probabilities, expected.probabilities[i]!, `image ${i}`);
      });
    });
  }

  it("fails bytes that are not an image with the handler's ValueError", async () => {
    const png = Buffer.from(direct.pngs[0]!, "base64");
    const bodies = { text: Buffer.from("this is not a PNG"), truncated: png.subarray(0, png.length >> 1) };
    for (const api of APIS) {
      for (const [name, body] of Object.entries(bodies)) {
        const done = await classify(example, api, body);
        assert.equal(done.body["status"], "failed", `${api}, ${name}: ${JSON.stringify(done.body)}`);
        const error = done.body["error"] as { type: string; message: string };
        assert.equal(error.type, "ValueError", `${api}, ${name}`);
        assert.match(error.message, /^payload is not an image \(/, `${api}, ${name}`);
      }
    }
  });

  it("runs on cpu, saying so in the log, when device cuda is asked for where CUDA is missing", async () => {
    const seen = (await example.python(CUDA_ASKED, { runtime: RUNTIME_ROOT })) as {
      available: boolean;
      device: string;
      messages: string[];
    };
    const fallback = "device cuda was asked for but CUDA is not available: running on cpu";
    assert.equal(seen.device, seen.available ? "cuda" : "cpu");
    assert.equal(seen.messages.includes(fallback), !seen.available, JSON.stringify(seen.messages));
  });
});
