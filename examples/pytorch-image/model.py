"""The example's CNN, its loading from either saved file, and the image transform of training and serving.

Kept apart from handler.py (and free of glia's modules) so that train.py, handler.py and
gpu_check.py share exactly the same network, loading and transform.
"""

import os

import numpy as np
import torch
from PIL import Image
from torch import nn

SIZE = 28
"""Images are classified as SIZE x SIZE grayscale; others are converted and resized first."""


class ShapeNet(nn.Module):
    """Two conv blocks and a small classifier: (N, 1, 28, 28) floats in [0, 1] to (N, classes) logits."""

    def __init__(self, classes: list[str]):
        super().__init__()
        self.classes = list(classes)  # kept by torch.jit.script, so the TorchScript file names its labels
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14 x 14
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7 x 7
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, len(classes)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL image as a (1, 1, 28, 28) float32 tensor: grayscale, bilinear resize if needed, scaled to [0, 1]."""
    image = image.convert("L")
    if image.size != (SIZE, SIZE):
        image = image.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(pixels)[None, None]


def load_model(path: str, model_format: str, device: str) -> torch.nn.Module:
    """The model in `path`, on `device`, in eval mode, whichever of the two formats it was saved in."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: run `python train.py` in this folder first")
    if model_format == "torchscript":
        model = torch.jit.load(path, map_location=device)
    elif model_format == "state_dict":
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        model = ShapeNet(checkpoint["classes"])
        model.load_state_dict(checkpoint["state_dict"])
    else:
        raise ValueError(f"config model_format must be torchscript or state_dict, not {model_format!r}")
    return model.to(device).eval()
