"""Trains a random forest on the breast-cancer data set that ships with scikit-learn, exported to ONNX.

Run it once in the API's environment before serving (`python train.py`); it writes model.onnx. The
class names and feature names travel in the model's metadata, so the handler needs no other file.
"""

import json

import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

if __name__ == "__main__":
    data = load_breast_cancer()
    x = data.data.astype(np.float32)  # ONNX tree ensembles compare float32 features
    model = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0).fit(x, data.target)
    # zipmap=False: the probabilities come out as one float tensor, not a list of {class: p} maps.
    onx = to_onnx(model, x[:1], options={"zipmap": False})
    for key, value in (("classes", data.target_names), ("features", data.feature_names)):
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, json.dumps([str(v) for v in value])
    with open("model.onnx", "wb") as f:
        f.write(onx.SerializeToString())
    print(f"model.onnx written; training accuracy {model.score(x, data.target):.3f}")
