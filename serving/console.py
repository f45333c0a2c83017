"""The CLI's terminal output: one-line errors and the progress bars long jobs report to."""

from __future__ import annotations

from typing import NoReturn

import rich.progress
import typer
from rich.console import Console
from rich.markup import escape


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `Error: message` as one red line on stderr and exit non-zero."""
    Console(stderr=True).print(f"[red]Error: {escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(code)


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
