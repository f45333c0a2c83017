"""Which image encoder this process embeds uploads with, followed as it changes.

`PIXELRANK_IMAGE_ENCODER_PATH` names a checkpoint outright (a pretrained open encoder saved by
`torch.export`, or a cnn version folder): it is loaded at start (`start()`). Otherwise the registry's
`pixelrank-image-encoder@champion` serves, from its local folder, and nothing before the first
training. The relay asks `current()` per batch of uploads; the answer is rechecked every
`model_refresh_s`.

A checkpoint that is missing or corrupt is logged as an error when it is loaded and at each recheck, and
serving goes on without image embeddings (new posts are indexed from their caption and author alone):
`problem` says why, and `/readyz` lists it as degraded. It is never an error of a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mlflow.exceptions import MlflowException

from candidates.images.encoder import WEIGHTS, EncoderUnavailable, ImageEncoder, ImageEncoderConfig, load_encoder
from serving.settings import Settings
from serving.two_tower import champion_folder
from training.registry import IMAGE_ENCODER

log = logging.getLogger(__name__)


class ServedImageEncoder:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        self.problem: str | None = None  # why no encoder serves though one is configured or registered
        self._encoder: ImageEncoder | None = None
        self._path: Path | None = None
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def start(self) -> None:
        """Load a checkpoint named in the settings now, so a broken one is reported at start. The registry's
        champion waits for the first upload: opening the registry takes seconds, and most starts need none."""
        if self.pinned:
            self.current()

    @property
    def pinned(self) -> bool:
        return self.settings.image_encoder_path is not None or self.settings.image_encoder == "export"

    def current(self) -> ImageEncoder | None:
        with self._lock:
            if self.clock() - self._checked >= self.settings.model_refresh_s:
                self._checked = self.clock()
                self._follow()
            return self._encoder

    def _follow(self) -> None:
        try:
            config = self.config()
        except MlflowException:
            log.warning("the model registry did not answer: keeping the image encoder serving", exc_info=True)
            return
        if config is None or config.path == self._path:
            return
        try:
            self._encoder, self._path, self.problem = load_encoder(config), config.path, None
            log.info("embedding pictures with %s", self._encoder.version)
        except EncoderUnavailable as error:
            self.problem = str(error)
            log.error("%s: pictures are not embedded until it is fixed", error)

    def config(self) -> ImageEncoderConfig | None:
        settings = self.settings
        if self.pinned:
            return ImageEncoderConfig(settings.image_encoder, settings.image_encoder_path, settings.image_encoder_side)
        folder = champion_folder(
            settings, IMAGE_ENCODER, models="image_encoder", complete=lambda f: (f / WEIGHTS).exists()
        )
        return ImageEncoderConfig("cnn", folder) if folder is not None else None
