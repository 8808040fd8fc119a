import os
import pickle

import joblib
import numpy as np

from cortex_internal.lib.log import logger as log


class Handler:
    def __init__(self, config):
        path = config["model_path"]
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `python train.py` in this folder first")
        saved = joblib.load(path)
        self.pipeline, self.classes = saved["pipeline"], saved["classes"]
        log.info("pipeline loaded", extra={"steps": [name for name, _ in self.pipeline.steps]})

    def handle_async(self, payload):
        """payload: a pickled 2-D array (or list of rows) of the 13 wine features."""
        rows = np.asarray(pickle.loads(payload), dtype=float)
        if rows.ndim != 2 or rows.shape[1] != self.pipeline.n_features_in_:
            raise ValueError(f"expected rows of {self.pipeline.n_features_in_} features, got shape {rows.shape}")
        probabilities = self.pipeline.predict_proba(rows)
        return {
            "predictions": [self.classes[i] for i in probabilities.argmax(axis=1)],
            "probabilities": probabilities.tolist(),
        }
