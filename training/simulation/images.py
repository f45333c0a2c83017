"""Procedural post images for a seeded world, sent through the real media pipeline (`social_core.media`).

Each topic gets `per_topic` images (a gradient in the topic's hue with a few shapes), rendered as
JPEG, validated and turned into variants by `process_upload`, and stored by `store_media` in the
object store serving uses. Posts of a topic share its images (the store is content-addressed, so
each is stored once); every post still gets its own media row, as an upload would.
"""

from __future__ import annotations

import colorsys
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from social_core.media import ObjectStore, process_upload, store_media
from training.simulation.progress import Progress, no_progress

SIZE = (1080, 1350)  # portrait 4:5, as phones post


@dataclass(frozen=True)
class ImageConfig:
    store: ObjectStore
    # Posts of a topic share its images, and a feed page or an explore list shows a picture once
    # (`ranking.selectors.near_duplicates`): enough per topic that the demo's lists still fill, few enough
    # that seeding stays quick (every image goes through the whole media pipeline).
    per_topic: int = 8
    avif: bool = False  # AVIF variants are slow to encode; the app falls back to WebP/JPEG
    seed: int = 0


@dataclass(frozen=True)
class StoredImage:
    """What a media row needs from a processed, stored image."""

    width: int
    height: int
    blurhash: str
    phash: int
    original_key: str
    variants: list[dict[str, Any]]


def render(rng: np.random.Generator, hue: float, size: tuple[int, int] = SIZE) -> bytes:
    """A JPEG: a vertical gradient around `hue` with a few soft shapes in contrasting hues."""
    width, height = size
    top = np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.95)) * 255
    bottom = np.array(colorsys.hsv_to_rgb((hue + 0.08) % 1.0, 0.8, 0.45)) * 255
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    pixels = np.broadcast_to((top * (1 - t) + bottom * t).astype(np.uint8), (height, width, 3))
    image = Image.fromarray(np.ascontiguousarray(pixels))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 8))):
        x, y, r = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(60, 320))
        rgb = colorsys.hsv_to_rgb((hue + rng.uniform(0.3, 0.7)) % 1.0, 0.6, 0.9)
        color = tuple(int(v * 255) for v in rgb)
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=color)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def build_library(config: ImageConfig, topics: int, progress: Progress = no_progress) -> list[list[StoredImage]]:
    """Render, process and store `per_topic` images for each topic; returns them per topic."""
    rng = np.random.default_rng(config.seed)
    library: list[list[StoredImage]] = []
    total = topics * config.per_topic
    for topic in range(topics):
        images = []
        for _ in range(config.per_topic):
            data = render(rng, topic / topics)
            processed = process_upload(
                data, max_image_bytes=len(data) + 1, max_video_bytes=0, max_video_seconds=0.0, avif=config.avif
            )
            stored = store_media(config.store, processed)
            images.append(
                StoredImage(
                    processed.width,
                    processed.height,
                    processed.blurhash,
                    processed.phash,
                    stored.original_key,
                    stored.variants,
                )
            )
            progress("images", len(library) * config.per_topic + len(images), total)
        library.append(images)
    return library
