"""Progress reporting without a UI dependency: the CLI passes a callable that drives a rich bar."""

from __future__ import annotations

from typing import Protocol

import rich.progress
from rich.console import Console


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None:
        """`done` of `total` units of `stage` ("users", "follows", "sessions", ...) are finished."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default: report nothing."""


class RichProgress:
    """A `Progress` drawing one rich bar per stage; use as a context manager."""

    def __init__(self, console: Console | None = None, *, transient: bool = False) -> None:
        self.bars = rich.progress.Progress(
            rich.progress.TextColumn("{task.description:<10}"),
            rich.progress.BarColumn(),
            rich.progress.MofNCompleteColumn(),
            rich.progress.TimeElapsedColumn(),
            console=console,
            transient=transient,
        )
        self.tasks: dict[str, rich.progress.TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(stage, total=total)
        self.bars.update(self.tasks[stage], completed=done, total=total)
