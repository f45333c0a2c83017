"""The `pixelrank` command line: one Typer app, one module per command group under serving/commands/."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pixelrank",
    help="pixelrank: an Instagram-like photo backend with an ML-ranked feed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def main() -> None:
    app()
