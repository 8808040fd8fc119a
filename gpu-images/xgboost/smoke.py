"""Smoke test of glia's XGBoost image: XGBoost trains and predicts on a GPU.

Run in the image on a machine with a GPU; exit status 0 when it works, 1 (and why) when not:

    docker run --rm --gpus all --entrypoint /opt/glia/venv/bin/python \
        glia-xgboost:0.1.0 /opt/glia/smoke.py
"""

from __future__ import annotations

import ctypes
import json
import sys


def fail(message: str) -> int:
    """Print why the smoke test failed.

    Args:
        message: What is wrong, and where to look.

    Returns:
        The exit status, 1.
    """
    print(f"smoke: FAILED: {message}", file=sys.stderr)
    return 1


def cuda_devices() -> int:
    """Count the GPUs the CUDA driver shows this container (XGBoost itself would fall back to CPU).

    Returns:
        The device count; 0 when the driver library is missing or reports none.
    """
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def main() -> int:
    """Check that XGBoost trains on the GPU and that the model it trains is right.

    Returns:
        The exit status: 0 when a model trained with device=cuda separates the data.
    """
    import numpy as np
    import xgboost as xgb

    if not xgb.build_info().get("USE_CUDA"):
        return fail(f"xgboost {xgb.__version__} was built without CUDA")
    if cuda_devices() == 0:
        return fail("the CUDA driver shows no GPU: run the container with --gpus all")
    rng = np.random.default_rng(0)
    features = rng.random((2000, 8), dtype=np.float32)
    labels = (features[:, 0] + features[:, 1] > 1).astype(np.float32)
    data = xgb.DMatrix(features, label=labels)
    params = {"device": "cuda", "tree_method": "hist", "objective": "binary:logistic"}
    booster = xgb.train(params, data, num_boost_round=20)
    device = json.loads(booster.save_config())["learner"]["generic_param"]["device"]
    if not device.startswith("cuda"):
        return fail(f"xgboost trained on {device}, not on the GPU")
    accuracy = float(((booster.predict(data) > 0.5) == labels).mean())
    if accuracy < 0.9:
        return fail(f"the model trained on the GPU is wrong (training accuracy {accuracy:.2f})")
    print(f"smoke: ok: xgboost {xgb.__version__} trained on {device} (accuracy {accuracy:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
