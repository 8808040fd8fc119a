"""Smoke test of glia's PyTorch image: torch sees a GPU and multiplies two matrices on it.

Run in the image on a machine with a GPU; exit status 0 when it works, 1 (and why) when not:

    docker run --rm --gpus all --entrypoint /opt/glia/venv/bin/python \
        glia-pytorch:0.1.0 /opt/glia/smoke.py
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
    """Check that torch sees a GPU and computes a matrix product on it correctly.

    Returns:
        The exit status: 0 when the product on the GPU matches the one on the CPU.
    """
    import torch

    if not torch.cuda.is_available():
        return fail(
            f"torch {torch.__version__} (built for CUDA {torch.version.cuda}) sees no GPU: "
            "run the container with --gpus all on a host with the NVIDIA driver (580+ for CUDA 13)"
        )
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(512, 512, generator=generator)
    on_gpu = (a.cuda() @ a.cuda()).cpu()
    if not torch.allclose(on_gpu, a @ a, rtol=1e-2, atol=1e-2):
        return fail("the matrix product computed on the GPU differs from the CPU's")
    print(
        f"smoke: ok: torch {torch.__version__} on {torch.cuda.get_device_name(0)} "
        f"(CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
