"""How training jobs report progress: `progress(stage, done, total)` (the CLI draws one bar per stage)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None
