"""Progress reporting without a UI dependency: the CLI passes a callable that drives a rich bar
(serving/progress.py)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None:
        """`done` of `total` units of `stage` ("users", "follows", "sessions", ...) are finished."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default: report nothing."""
