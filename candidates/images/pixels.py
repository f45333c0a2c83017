"""Encoded image bytes → the float tensor an image encoder reads: RGB, centre-cropped square, resized."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image


def square_pixels(data: bytes, side: int, mean: float = 0.5, std: float = 0.5) -> np.ndarray:
    """(3, side, side) float32, (value - mean) / std with values in [0, 1]."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (side, side))  # JPEG decodes at a fraction of its size: most of the cost goes
        rgb = image.convert("RGB")
    width, height = rgb.size
    crop = min(width, height)
    left, top = (width - crop) // 2, (height - crop) // 2
    square = rgb.crop((left, top, left + crop, top + crop)).resize((side, side), Image.Resampling.BILINEAR)
    pixels = np.asarray(square, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return (pixels - mean) / std


def pixel_batch(images: Sequence[bytes], side: int, mean: float = 0.5, std: float = 0.5) -> torch.Tensor:
    """(n, 3, side, side) float32 tensor of `square_pixels`."""
    if not images:
        return torch.zeros((0, 3, side, side))
    return torch.from_numpy(np.stack([square_pixels(data, side, mean, std) for data in images]))
