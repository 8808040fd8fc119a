"""Smoke test of glia's ONNX Runtime image: the CUDA provider loads and runs a MatMul on a GPU.

Run in the image on a machine with a GPU; exit status 0 when it works, 1 (and why) when not:

    docker run --rm --gpus all --entrypoint /opt/glia/venv/bin/python \
        glia-onnxruntime:0.1.0 /opt/glia/smoke.py

The model is written here byte by byte (ONNX is protobuf), since onnxruntime ships no model builder
and the image need not carry the onnx package for this.
"""

from __future__ import annotations

import sys

CUDA = "CUDAExecutionProvider"


def fail(message: str) -> int:
    """Print why the smoke test failed.

    Args:
        message: What is wrong, and where to look.

    Returns:
        The exit status, 1.
    """
    print(f"smoke: FAILED: {message}", file=sys.stderr)
    return 1


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: a varint for an int, length-delimited for text and bytes."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _float_matrix(name: str, size: int) -> bytes:
    """A ValueInfoProto: a float tensor of shape [size, size]."""
    shape = b"".join(_field(1, _field(1, size)) for _ in range(2))
    tensor_type = _field(1, 1) + _field(2, shape)  # elem_type FLOAT, shape
    return _field(1, name) + _field(2, _field(1, tensor_type))


def matmul_model(size: int) -> bytes:
    """An ONNX model (IR 8, opset 17) computing ``c = a @ b`` for ``size`` x ``size`` floats.

    Args:
        size: The side of the square matrices.

    Returns:
        The serialized ModelProto.
    """
    node = (
        _field(1, "a") + _field(1, "b") + _field(2, "c") + _field(3, "matmul") + _field(4, "MatMul")
    )
    graph = (
        _field(1, node)
        + _field(2, "smoke")
        + _field(11, _float_matrix("a", size))
        + _field(11, _float_matrix("b", size))
        + _field(12, _float_matrix("c", size))
    )
    return _field(1, 8) + _field(8, _field(1, "") + _field(2, 17)) + _field(7, graph)


def main() -> int:
    """Check that onnxruntime runs a matrix product with its CUDA provider, and gets it right.

    Returns:
        The exit status: 0 when the CUDA provider ran the model and matches NumPy.
    """
    import numpy as np
    import onnxruntime as ort

    if CUDA not in ort.get_available_providers():
        return fail(f"onnxruntime {ort.__version__} has no {CUDA} (is onnxruntime-gpu installed?)")
    session = ort.InferenceSession(matmul_model(256), providers=[CUDA])
    if session.get_providers()[0] != CUDA:
        return fail(
            f"{CUDA} did not load (the session fell back to {session.get_providers()}): run the "
            "container with --gpus all, and check the CUDA and cuDNN versions in compatibility.json"
        )
    a = np.random.default_rng(0).random((256, 256), dtype=np.float32)
    (product,) = session.run(["c"], {"a": a, "b": a})
    if not np.allclose(product, a @ a, rtol=1e-2, atol=1e-2):
        return fail("the matrix product computed on the GPU differs from NumPy's")
    print(f"smoke: ok: onnxruntime {ort.__version__} ran MatMul with {CUDA} ({ort.get_device()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
