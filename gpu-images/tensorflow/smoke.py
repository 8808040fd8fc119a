"""Smoke test of glia's TensorFlow image: TensorFlow sees a GPU and multiplies matrices on it.

Run in the image on a machine with a GPU; exit status 0 when it works, 1 (and why) when not:

    docker run --rm --gpus all --entrypoint /opt/glia/venv/bin/python \
        glia-tensorflow:0.1.0 /opt/glia/smoke.py
"""

from __future__ import annotations

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


def main() -> int:
    """Check that TensorFlow places a matrix product on a GPU and gets it right.

    Returns:
        The exit status: 0 when the product on the GPU matches NumPy's.
    """
    import numpy as np
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        cuda = tf.sysconfig.get_build_info().get("cuda_version")
        return fail(
            f"tensorflow {tf.__version__} (built for CUDA {cuda}) sees no GPU: "
            "run the container with --gpus all on a host with the NVIDIA driver"
        )
    a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    with tf.device("/GPU:0"):
        product = tf.matmul(tf.constant(a), tf.constant(a))
    if "GPU" not in product.device:
        return fail(f"the matrix product ran on {product.device}, not on the GPU")
    if not np.allclose(product.numpy(), a @ a, rtol=1e-2, atol=1e-2):
        return fail("the matrix product computed on the GPU differs from NumPy's")
    print(f"smoke: ok: tensorflow {tf.__version__} on {gpus[0].name} ({product.device})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
