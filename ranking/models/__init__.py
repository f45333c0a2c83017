"""Saved rankers: `load_ranker(folder)` reads `ranker.json` and returns that family's `RankerModel`.

Serving loads every ranker through `load_ranker` only, so a new family is one loader in `LOADERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ranking.model import RankerModel
from ranking.models.manifest import Manifest, RankerFolderError


def _lightgbm(folder: Path, version: str | None) -> RankerModel:
    from ranking.models.lightgbm import LightGBMRanker

    return LightGBMRanker.load(folder, version)


def _torch(folder: Path, version: str | None) -> RankerModel:
    from ranking.models.torch_mtl import TorchRanker  # torch is imported only when a torch ranker is served

    return TorchRanker.load(folder, version)


LOADERS: dict[str, Callable[[Path, str | None], RankerModel]] = {"lightgbm": _lightgbm, "torch": _torch}


def load_ranker(folder: Path, version: str | None = None) -> RankerModel:
    """The ranker saved in `folder`; `version` overrides the saved one (a registry name, say)."""
    family = Manifest.read(Path(folder)).family
    if family not in LOADERS:
        raise RankerFolderError(f"{folder} holds a ranker of unknown family {family!r} (known: {', '.join(LOADERS)})")
    return LOADERS[family](Path(folder), version)


__all__ = ["LOADERS", "RankerFolderError", "load_ranker"]
