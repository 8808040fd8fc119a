"""Predicts diabetes progression for rows of named features with an XGBoost booster (see train.py)."""

import json
import os
import warnings

import numpy as np
import xgboost

from cortex_internal.lib.log import logger as log

DEVICES = ("auto", "cpu", "cuda")


def use_device(booster, device):
    """Sets the booster's `device` param for `device` (auto|cpu|cuda) and returns the one in effect.

    XGBoost itself falls back to the CPU when it was built without CUDA or sees no GPU; the param
    read back after setting it tells which happened.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device != "cpu" and xgboost.build_info().get("USE_CUDA"):
        with warnings.catch_warnings():  # "no visible GPU": said once below, as a log line
            warnings.simplefilter("ignore")
            booster.set_param({"device": "cuda"})
            if json.loads(booster.save_config())["learner"]["generic_param"]["device"] != "cpu":
                return "cuda"
    if device == "cuda":
        log.warning(
            "device cuda was asked for but XGBoost has no CUDA support or sees no GPU; using the CPU",
            extra={"xgboost_cuda_build": bool(xgboost.build_info().get("USE_CUDA"))},
        )
    booster.set_param({"device": "cpu"})
    return "cpu"


class Handler:
    def __init__(self, config):
        """config: `model_path` (the booster's .json) and `device` (auto, cpu or cuda; default auto)."""
        path, device = config["model_path"], config.get("device", "auto")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `python train.py` in this folder first")
        self.booster = xgboost.Booster()
        self.booster.load_model(path)
        self.features = self.booster.feature_names
        self.device = use_device(self.booster, device)
        log.info("booster loaded", extra={"device": self.device, "features": self.features})

    def handle_async(self, payload):
        """payload: {"rows": [{"age": 59, "sex": 2, "bmi": 32.1, ...}, ...]}, every feature in every row."""
        rows = self.parse(payload)
        return {"predictions": self.booster.inplace_predict(rows).tolist()}

    def parse(self, payload):
        """The payload's rows as an array of shape (n, features); ValueError if they are not that."""
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list) or not payload["rows"]:
            raise ValueError(f'expected a JSON object {{"rows": [{{{", ".join(self.features)}}}, ...]}}')
        matrix = []
        for i, row in enumerate(payload["rows"]):
            if not isinstance(row, dict):
                raise ValueError(f"row {i}: expected an object keyed by feature name, got {type(row).__name__}")
            if set(row) != set(self.features):
                missing = [name for name in self.features if name not in row]
                unknown = sorted(set(row) - set(self.features))
                raise ValueError(
                    f"row {i}: expected exactly the features {', '.join(self.features)}; "
                    f"missing: {', '.join(missing) or 'none'}, unknown: {', '.join(unknown) or 'none'}"
                )
            values = [row[name] for name in self.features]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                raise ValueError(f"row {i}: every feature must be a number, got {values}")
            matrix.append(values)
        rows = np.asarray(matrix, dtype=np.float32)
        if not np.isfinite(rows).all():
            raise ValueError("every feature must be a finite number")
        return rows
