"""Scores rows of the 30 breast-cancer features with a model exported to ONNX (see train.py)."""

import json
import os

import numpy as np
import onnxruntime

from cortex_internal.lib.log import logger as log

DEVICES = ("auto", "cpu", "cuda")


def providers_for(device):
    """The onnxruntime execution providers for `device` (auto|cpu|cuda), best first."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device != "cpu" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class Handler:
    def __init__(self, config):
        """config: `model_path` (the .onnx file) and `device` (auto, cpu or cuda; default auto)."""
        path, device = config["model_path"], config.get("device", "auto")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `python train.py` in this folder first")
        options = onnxruntime.SessionOptions()
        # onnxruntime sizes its thread pool by the machine's cores and does not read OMP_NUM_THREADS,
        # which glia sets to this runtime's share of the cores.
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0"))
        self.session = onnxruntime.InferenceSession(path, options, providers=providers_for(device))
        used = self.session.get_providers()
        if device == "cuda" and "CUDAExecutionProvider" not in used:
            log.warning(
                "device cuda was asked for but onnxruntime has no usable CUDAExecutionProvider; using the CPU",
                extra={"available_providers": onnxruntime.get_available_providers()},
            )
        meta = self.session.get_modelmeta().custom_metadata_map
        self.classes = json.loads(meta["classes"])
        self.input = self.session.get_inputs()[0]
        self.n_features = self.input.shape[1]
        log.info(
            "model loaded",
            extra={
                "providers": used,
                "features": self.n_features,
                "classes": self.classes,
                "threads": options.intra_op_num_threads,
            },
        )

    def handle_async(self, payload):
        """payload: {"rows": [[30 numbers], ...]}, features in the order of load_breast_cancer()."""
        rows = self.parse(payload)
        labels, probabilities = self.session.run(None, {self.input.name: rows})
        return {
            "predictions": [self.classes[i] for i in labels],
            "probabilities": probabilities.tolist(),
        }

    def parse(self, payload):
        """The payload's rows as a float32 array of shape (n, features); ValueError if it is not that."""
        expected = f'{{"rows": [[{self.n_features} numbers], ...]}}'
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list) or not payload["rows"]:
            raise ValueError(f"expected a JSON object {expected}")
        try:
            rows = np.asarray(payload["rows"], dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ValueError(f"expected {expected}, every row a list of numbers of the same length: {err}") from err
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} numbers, got an array of shape {rows.shape}")
        if not np.isfinite(rows).all():
            raise ValueError("every feature must be a finite number (null is not one)")
        return rows
