"""`ImageEncoder`: encoded images → embeddings, and the two kinds a deployment can load.

- ``cnn`` (the default): the project's `ImageNet`, distilled into the two-tower's post space by
  `training/image_encoder.py`, from a version folder (`{home}/models/image_encoder/{version}/`).
- ``export``: a pretrained open encoder (for example an open_clip visual tower) saved by
  `torch.export.save` with a dynamic batch dimension, from a local file: nothing is downloaded at run
  time. Its own normalisation and
  input size come from the config.

A checkpoint that is missing or cannot be read raises `EncoderUnavailable` with the path and the
reason, at load, so a deployment finds out at start and not on the first upload.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch.nn import functional

from candidates.images.network import ImageNet, ImageNetConfig
from candidates.images.pixels import pixel_batch

WEIGHTS, CONFIG = "image_net.pt", "image_net.json"
BATCH = 256


class EncoderUnavailable(ValueError):
    """The configured checkpoint is missing or unreadable."""


class ImageEncoder(Protocol):
    version: str  # stored beside each embedding: vectors of two versions never mix
    dim: int

    def encode(self, images: Sequence[bytes]) -> np.ndarray: ...  # (n, dim) float32, unit rows


@dataclass(frozen=True)
class ImageEncoderConfig:
    type: str = "cnn"  # a key of ENCODERS
    path: Path | None = None  # cnn: a version folder; export: the .pt2 file
    side: int = 224  # export only: input pixels per side (a cnn folder records its own)
    mean: float = 0.5  # export only: the normalisation the checkpoint was trained with
    std: float = 0.5


class TorchEncoder:
    """Any torch module from a (n, 3, side, side) batch to (n, dim) vectors; rows come out unit length."""

    def __init__(
        self,
        module: Callable[[torch.Tensor], torch.Tensor],
        version: str,
        side: int,
        mean: float = 0.5,
        std: float = 0.5,
    ) -> None:
        self.module, self.version, self.side, self.mean, self.std = module, version, side, mean, std
        self.dim = int(self._vectors(torch.zeros((1, 3, side, side))).shape[1])  # also checks the checkpoint runs

    def encode(self, images: Sequence[bytes]) -> np.ndarray:
        parts = [
            self._vectors(pixel_batch(images[start : start + BATCH], self.side, self.mean, self.std))
            for start in range(0, len(images), BATCH)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    @torch.inference_mode()
    def _vectors(self, pixels: torch.Tensor) -> np.ndarray:
        vectors: np.ndarray = functional.normalize(self.module(pixels).float(), dim=-1).numpy()
        return vectors


def save_cnn(network: ImageNet, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(network.state_dict(), folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps(network.config.as_dict(), indent=2))


def load_cnn_network(folder: Path) -> ImageNet:
    network = ImageNet(ImageNetConfig(**json.loads((folder / CONFIG).read_text())))
    network.load_state_dict(torch.load(folder / WEIGHTS, weights_only=True))
    return network.eval()


def _cnn(config: ImageEncoderConfig, path: Path) -> ImageEncoder:
    network = load_cnn_network(path)
    return TorchEncoder(network, f"cnn:{path.name}", network.config.side)


def _exported(config: ImageEncoderConfig, path: Path) -> ImageEncoder:
    module = torch.export.load(path).module()
    return TorchEncoder(module, f"export:{path.name}", config.side, config.mean, config.std)


ENCODERS: dict[str, Callable[[ImageEncoderConfig, Path], ImageEncoder]] = {"cnn": _cnn, "export": _exported}


def load_encoder(config: ImageEncoderConfig) -> ImageEncoder:
    """The configured encoder, checked by encoding one blank image; raises `EncoderUnavailable`."""
    if config.type not in ENCODERS:
        raise EncoderUnavailable(f"unknown image encoder type {config.type!r}: use one of {sorted(ENCODERS)}")
    if config.path is None or not config.path.exists():
        raise EncoderUnavailable(f"image encoder checkpoint {config.path} is missing")
    try:
        return ENCODERS[config.type](config, config.path)
    except Exception as error:  # a corrupt file fails in torch, pickle, json or the first forward pass
        raise EncoderUnavailable(f"image encoder checkpoint {config.path} cannot be loaded: {error}") from error


class PicturesEncoder:
    """MLflow's pyfunc view of a saved cnn version: records with an ``image`` (encoded bytes) → embeddings."""

    def __init__(self, encoder: ImageEncoder) -> None:
        self.encoder = encoder

    def predict(self, rows: list[dict[str, object]]) -> np.ndarray:
        return self.encoder.encode([bytes(row["image"]) for row in rows])  # type: ignore[call-overload]


def load_pyfunc(folder: Path) -> PicturesEncoder:
    return PicturesEncoder(load_encoder(ImageEncoderConfig(type="cnn", path=folder)))
