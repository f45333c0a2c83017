"""Procedural post images for a seeded world, sent through the real media pipeline (`social_core.media`).

Each topic gets `per_topic` images (a gradient in the topic's hue with a few shapes in nearby hues or
neutral tones), rendered as JPEG, validated and turned into variants by `process_upload`, and stored
by `store_media` in the object store serving uses. Like real photos of a subject, a topic's pictures
share a palette, though not all of them: `topic_signal` of them are in their topic's hue, the others
in another topic's, so what the pixels say about the topic is strong but not certain
(benchmarks/cold_start.py measures it with a linear probe). Posts of a topic share its images (the
store is content-addressed, so each is stored once); every post still gets its own media row, as an
upload would.
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
TOPIC_SIGNAL = 0.85  # share of a topic's pictures drawn in its own hue


@dataclass(frozen=True)
class ImageConfig:
    store: ObjectStore
    # Posts of a topic share its images, and a feed page or an explore list shows a picture once
    # (`ranking.selectors.near_duplicates`): enough per topic that the demo's lists still fill, few enough
    # that seeding stays quick (every image goes through the whole media pipeline).
    per_topic: int = 8
    avif: bool = False  # AVIF variants are slow to encode; the app falls back to WebP/JPEG
    seed: int = 0
    topic_signal: float = TOPIC_SIGNAL


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
    """A JPEG: a vertical gradient in `hue` (its value falls, its hue stays) with a few soft shapes in
    nearby hues or neutral tones, so the picture's palette is its hue's."""
    width, height = size
    hue = (hue + rng.normal(0.0, 0.006)) % 1.0
    top = np.array(colorsys.hsv_to_rgb(hue, 0.6, 0.95)) * 255
    bottom = np.array(colorsys.hsv_to_rgb(hue, 0.8, 0.45)) * 255
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    pixels = np.broadcast_to((top * (1 - t) + bottom * t).astype(np.uint8), (height, width, 3))
    image = Image.fromarray(np.ascontiguousarray(pixels))
    draw = ImageDraw.Draw(image)
    scale = max(width, height) / max(SIZE)
    for _ in range(int(rng.integers(3, 8))):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(60, 320) * scale) + 1
        neutral = rng.random() < 0.3
        rgb = (
            (rng.uniform(0.1, 1.0),) * 3
            if neutral
            else colorsys.hsv_to_rgb(hue, rng.uniform(0.2, 1.0), rng.uniform(0.3, 1.0))
        )
        color = tuple(int(v * 255) for v in rgb)
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=color)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def picture_hue(rng: np.random.Generator, topic: int, topics: int, topic_signal: float) -> float:
    """The hue a picture of `topic` is drawn in: its own with probability `topic_signal`, else another topic's."""
    own = rng.random() < topic_signal or topics == 1
    return (topic if own else (topic + int(rng.integers(1, topics))) % topics) / topics


def build_library(config: ImageConfig, topics: int, progress: Progress = no_progress) -> list[list[StoredImage]]:
    """Render, process and store `per_topic` images for each topic; returns them per topic."""
    rng = np.random.default_rng(config.seed)
    library: list[list[StoredImage]] = []
    total = topics * config.per_topic
    for topic in range(topics):
        images = []
        for _ in range(config.per_topic):
            data = render(rng, picture_hue(rng, topic, topics, config.topic_signal))
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
