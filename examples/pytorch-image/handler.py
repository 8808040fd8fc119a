"""Classifies a small image, sent as raw bytes (e.g. Content-Type: image/png), with the example's CNN.

handler.config chooses the file and how it is loaded:
    model_path:   the file train.py wrote
    model_format: torchscript (torch.jit.load, no Python class needed) or state_dict (ShapeNet + weights)
    device:       auto (cuda when available, else cpu), cpu or cuda (falls back to cpu, with a warning)
"""

import io

import torch
from PIL import Image, UnidentifiedImageError

from cortex_internal.lib.log import logger as log
from model import image_to_tensor, load_model


def pick_device(asked: str) -> str:
    """The torch device to run on for handler.config's `device`."""
    if asked not in ("auto", "cpu", "cuda"):
        raise ValueError(f"config device must be auto, cpu or cuda, not {asked!r}")
    if asked == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if asked == "cuda":
        log.warning("device cuda was asked for but CUDA is not available: running on cpu")
    return "cpu"


class Handler:
    def __init__(self, config):
        self.device = pick_device(config.get("device", "auto"))
        self.model = load_model(config["model_path"], config.get("model_format", "torchscript"), self.device)
        self.classes = list(self.model.classes)
        log.info(
            "model loaded",
            extra={"model_path": config["model_path"], "device": self.device, "classes": self.classes},
        )

    def handle_async(self, payload):
        """payload: the bytes of an image PIL can open (PNG, JPEG, ...); any size and mode, ideally 28x28 grayscale."""
        if not isinstance(payload, bytes):
            raise ValueError(
                f"expected the raw bytes of an image (send it as Content-Type: image/png), got {type(payload).__name__}"
            )
        try:
            image = Image.open(io.BytesIO(payload))
            image.load()
        except (OSError, ValueError, SyntaxError) as err:  # what PIL raises for unknown, truncated or corrupt data
            reason = "not a format PIL knows" if isinstance(err, UnidentifiedImageError) else str(err)
            raise ValueError(
                f"payload is not an image ({reason}): {len(payload)} bytes starting {payload[:16]!r}"
            ) from err
        with torch.inference_mode():
            logits = self.model(image_to_tensor(image).to(self.device))
            probabilities = torch.softmax(logits, dim=1)[0].cpu()
        return {
            "label": self.classes[int(probabilities.argmax())],
            "probabilities": probabilities.tolist(),
            "classes": self.classes,
            "device": self.device,
        }
