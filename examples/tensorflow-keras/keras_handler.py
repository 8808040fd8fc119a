"""The python handler type: the Keras file loaded with keras.models.load_model, scoring JSON rows."""

import os

import keras
import numpy as np
import tensorflow as tf

from cortex_internal.lib.log import logger as log
from machines import CLASSES, FEATURES

DEVICES = ("auto", "cpu", "cuda")


def pick_device(wanted):
    """Return the TensorFlow device for config["device"] (auto | cpu | cuda)."""
    if wanted not in DEVICES:
        raise ValueError(f"config device must be one of {', '.join(DEVICES)}, got {wanted!r}")
    gpus = tf.config.list_physical_devices("GPU")
    if wanted == "cpu" or (wanted == "auto" and not gpus):
        return "/CPU:0"
    if gpus:
        return "/GPU:0"
    log.warning("device cuda was asked for, but TensorFlow sees no GPU; running on the CPU")
    return "/CPU:0"


def rows_to_array(payload):
    """{"rows": [{feature: number, ...}, ...]} -> float32 [n, 4] in the order of FEATURES."""
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ValueError('expected a JSON object {"rows": [{...}, ...]} with at least one row')
    values = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"row {index} must be an object of {', '.join(FEATURES)}")
        problems = [f"missing {name}" for name in FEATURES if name not in row]
        problems += [f"unknown {name}" for name in sorted(set(row) - set(FEATURES))]
        if problems:
            raise ValueError(f"row {index}: {', '.join(problems)}; expected {', '.join(FEATURES)}")
        for name in FEATURES:
            if isinstance(row[name], bool) or not isinstance(row[name], (int, float)):
                raise ValueError(f"row {index}: {name} must be a number, got {row[name]!r}")
        values.append([row[name] for name in FEATURES])
    return np.asarray(values, dtype=np.float32)


class Handler:
    def __init__(self, config):
        path = config["model_path"]
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `python train.py` in this folder first")
        self.device = pick_device(config.get("device", "auto"))
        with tf.device(self.device):
            self.model = keras.models.load_model(path)
        log.info("keras model loaded", extra={"model_path": path, "device": self.device})

    def handle_async(self, payload):
        x = rows_to_array(payload)
        with tf.device(self.device):
            probabilities = self.model(x, training=False).numpy()
        return {
            "predictions": [CLASSES[i] for i in probabilities.argmax(axis=1)],
            "probabilities": probabilities.tolist(),
        }
