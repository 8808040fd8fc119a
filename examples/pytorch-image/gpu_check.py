"""Measures the example's forward-pass throughput and prints it as one JSON line.

Usage, in this folder after `python train.py`:  python gpu_check.py [--runs 7] [--seconds 0.2]

For each device (cpu, and cuda when torch.cuda.is_available()), each saved format (torchscript,
state_dict) and batch sizes 1 and 64, it times --runs runs of forward passes (each lasting about
--seconds) on a fixed batch of synthetic shapes and reports the median in images per second. Only
the model's forward pass is timed (no PNG decoding), under torch.inference_mode. On CUDA it also
reports the largest difference of the probabilities from the CPU's. Needs no network; without CUDA
the "cuda" entry is null.
"""

import argparse
import json
import platform
import statistics
import time

import torch

from model import image_to_tensor, load_model
from shapes import dataset

FILES = {"torchscript": "model.torchscript.pt", "state_dict": "model.pt"}
BATCHES = (1, 64)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def images_per_second(model: torch.nn.Module, x: torch.Tensor, runs: int, seconds: float) -> float:
    """The median throughput of `runs` timed runs, each of as many passes as fill about `seconds`."""
    device = x.device.type
    with torch.inference_mode():
        for _ in range(10):  # warm-up: kernel selection, TorchScript's profiling runs, caches
            model(x)
        passes, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:  # how many passes fill one run
            model(x)
            sync(device)
            passes += 1
        rates = []
        for _ in range(runs):
            start = time.perf_counter()
            for _ in range(passes):
                model(x)
            sync(device)
            rates.append(passes * len(x) / (time.perf_counter() - start))
    return round(statistics.median(rates), 1)


def measure(device: str, inputs: torch.Tensor, runs: int, seconds: float) -> dict:
    """{format: {"batch_1": images/s, "batch_64": images/s}} on `device`."""
    results = {}
    for model_format, path in FILES.items():
        model = load_model(path, model_format, device)
        results[model_format] = {
            f"batch_{n}": images_per_second(model, inputs[:n].to(device), runs, seconds) for n in BATCHES
        }
    return results


def max_cuda_difference(inputs: torch.Tensor) -> float:
    """The largest absolute difference between CPU and CUDA probabilities, over both formats."""
    worst = 0.0
    with torch.inference_mode():
        for model_format, path in FILES.items():
            cpu = torch.softmax(load_model(path, model_format, "cpu")(inputs), dim=1)
            cuda = torch.softmax(load_model(path, model_format, "cuda")(inputs.cuda()), dim=1).cpu()
            worst = max(worst, (cpu - cuda).abs().max().item())
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (the median is reported)")
    parser.add_argument("--seconds", type=float, default=0.2, help="about how long one timed run lasts")
    args = parser.parse_args()
    images, _ = dataset(max(BATCHES), seed=2)
    inputs = torch.cat([image_to_tensor(image) for image in images])
    result = {
        "torch": torch.__version__,
        "cpu": {
            "processor": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            **measure("cpu", inputs, args.runs, args.seconds),
        },
        "cuda": None,
    }
    if torch.cuda.is_available():
        result["cuda"] = {
            "device": torch.cuda.get_device_name(),
            **measure("cuda", inputs, args.runs, args.seconds),
            "max_abs_difference_from_cpu": max_cuda_difference(inputs),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
