"""The `pixelrank` command line: one Typer app, one module per command group under serving/commands/."""

from __future__ import annotations

import os

import typer
from sqlalchemy.exc import OperationalError

from serving.commands import demo, evaluate, importing, seed, server, simulate, stories, train, worker
from serving.commands import features as features_commands
from serving.commands import models as models_commands
from social_core.errors import DomainError

# MLflow draws a progress bar for every artifact download (the champion gate and serving download
# models): noise on a terminal, and it breaks the CLI's one-line errors.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

app = typer.Typer(
    name="pixelrank",
    help="pixelrank: an Instagram-like photo backend with an ML-ranked feed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click errors: one "Error: ..." line, not a box
)
app.command()(server.init)
app.command()(server.serve)
app.command()(demo.demo)
app.command()(evaluate.evaluate)
app.command("import")(importing.import_)
app.add_typer(stories.app)
app.add_typer(features_commands.app, name="features")
app.add_typer(train.app, name="train")
app.add_typer(models_commands.app, name="models")
app.command()(seed.seed)
app.command()(simulate.simulate)
app.command()(worker.worker)


def main() -> None:
    try:
        app()
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise SystemExit(2) from None
    except OperationalError as error:
        typer.echo(f"Error: the database is unreachable ({str(error.orig).splitlines()[0]})", err=True)
        raise SystemExit(1) from None
