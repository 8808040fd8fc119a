"""A synthetic, deterministic data set: white shapes (circle, square, triangle, cross) on black.

Each image is drawn at 4x the final size and downsampled, so edges are anti-aliased; position,
size, rotation, stroke width and filling vary, and a little noise is added. The same seed always
gives the same images, so training needs no download and is reproducible.
"""

import math

import numpy as np
from PIL import Image, ImageDraw

from model import SIZE

CLASSES = ["circle", "square", "triangle", "cross"]
_SCALE = 4


def draw(label: int, rng: np.random.Generator) -> Image.Image:
    """One SIZE x SIZE grayscale ("L") image of CLASSES[label], its variations drawn from rng."""
    big = SIZE * _SCALE
    image = Image.new("L", (big, big), 0)
    pen = ImageDraw.Draw(image)
    radius = rng.uniform(0.22, 0.38) * big
    cx, cy = (rng.uniform(radius + 4, big - radius - 4) for _ in range(2))
    width = int(rng.integers(2, 4)) * _SCALE
    fill = 255 if rng.random() < 0.3 else None
    angle = rng.uniform(0, 2 * math.pi)
    name = CLASSES[label]
    if name == "circle":
        pen.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=255, width=width, fill=fill)
    elif name in ("square", "triangle"):
        sides = 4 if name == "square" else 3
        corners = [
            (
                cx + radius * math.cos(angle + 2 * math.pi * k / sides),
                cy + radius * math.sin(angle + 2 * math.pi * k / sides),
            )
            for k in range(sides)
        ]
        pen.polygon(corners, outline=255, width=width, fill=fill)
    else:
        for k in range(2):
            a = angle + k * math.pi / 2
            dx, dy = radius * math.cos(a), radius * math.sin(a)
            pen.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=255, width=width)
    small = np.asarray(image.resize((SIZE, SIZE), Image.Resampling.BOX), dtype=np.float32)
    small = np.clip(small + rng.normal(0, 12, small.shape), 0, 255)
    return Image.fromarray(small.astype(np.uint8), mode="L")


def dataset(count: int, seed: int) -> tuple[list[Image.Image], list[int]]:
    """count images with balanced labels, in an order and with variations fixed by seed."""
    rng = np.random.default_rng(seed)
    labels = [int(v) for v in rng.permutation(np.arange(count) % len(CLASSES))]
    return [draw(label, rng) for label in labels], labels
