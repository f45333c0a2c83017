"""`ranker.json`: the small file in every ranker folder that says which family wrote it and what it reads.

`load_ranker` reads it to pick the family's loader, so serving needs no other hint than the folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "ranker.json"
FORMAT = 1


class RankerFolderError(ValueError):
    """The folder holds no readable ranker (no manifest, an unknown family, a newer format)."""


@dataclass(frozen=True)
class Manifest:
    family: str  # "lightgbm" | "torch"
    version: str
    heads: tuple[str, ...]
    feature_names: tuple[str, ...]
    feature_service: str = "ranker_v1"
    extra: dict[str, Any] = field(default_factory=dict)  # the family's own settings
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path, family: str | None = None) -> Manifest:
        """The manifest in ``folder``; with ``family``, only if the folder holds a ranker of that family."""
        path = Path(folder) / MANIFEST
        if not path.is_file():
            raise RankerFolderError(f"{folder} holds no ranker ({MANIFEST} is missing)")
        try:
            raw = json.loads(path.read_text())
            manifest = cls(
                family=str(raw["family"]),
                version=str(raw["version"]),
                heads=tuple(raw["heads"]),
                feature_names=tuple(raw["feature_names"]),
                feature_service=str(raw.get("feature_service", "ranker_v1")),
                extra=dict(raw.get("extra", {})),
                format=int(raw.get("format", FORMAT)),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise RankerFolderError(f"{path} is not a ranker manifest ({error})") from None
        if manifest.format > FORMAT:
            raise RankerFolderError(f"{path} has format {manifest.format}; this code reads up to {FORMAT}")
        if family is not None and manifest.family != family:
            raise ValueError(f"{folder} holds a {manifest.family} ranker, not a {family} one")
        return manifest


def check_width(features: Any, feature_names: tuple[str, ...]) -> None:
    """A matrix of the wrong width would be scored silently wrong by a tree model: refuse it."""
    shape: tuple[int, ...] = tuple(getattr(features, "shape", ()))
    if len(shape) != 2 or shape[1] != len(feature_names):
        raise ValueError(f"expected an (N, {len(feature_names)}) feature matrix, got shape {tuple(shape)}")
