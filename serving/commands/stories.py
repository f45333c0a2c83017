"""`pixelrank stories cleanup`: delete the media of stories long expired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Protocol

import typer
from sqlalchemy.orm import Session, sessionmaker

from serving.settings import Settings
from social_core import stories
from social_core.clock import utcnow
from social_core.db import make_engine, make_sessionmaker
from social_core.media.storage import make_store

app = typer.Typer(
    name="stories", help="Stories maintenance.", no_args_is_help=True, add_completion=False, rich_markup_mode=None
)


@app.callback()
def stories_group() -> None:
    """Stories maintenance (a group even with one command, so it reads `pixelrank stories cleanup`)."""


class Deletes(Protocol):
    def delete(self, key: str) -> None: ...  # deleting a missing key is not an error


@dataclass
class Purged:
    stories: int = 0
    objects: int = 0
    failed: list[str] = field(default_factory=list)  # keys whose delete raised: their rows are marked already


def stories_cleanup(
    retention_hours: Annotated[
        float | None,
        typer.Option(min=0, help="Hours after expiry to keep a story [default: PIXELRANK_STORY_RETENTION_HOURS]."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Stories per transaction.")] = 500,
) -> None:
    """Delete the media of stories expired longer than the retention: rows marked, objects removed."""
    settings = Settings()
    hours = settings.story_retention_hours if retention_hours is None else retention_hours
    sessions = make_sessionmaker(make_engine(settings.db_url))
    store = make_store(settings.media_store_config)
    result = purge(sessions, store, utcnow(), timedelta(hours=hours), batch=batch)
    typer.echo(f"purged {result.stories} stories, deleted {result.objects} objects")
    if result.failed:
        typer.echo(f"Error: {len(result.failed)} objects could not be deleted:", err=True)
        for key in result.failed:
            typer.echo(key, err=True)
        raise typer.Exit(1)


app.command("cleanup")(stories_cleanup)


def purge(
    sessions: sessionmaker[Session], store: Deletes, now: datetime, retention: timedelta, *, batch: int = 500
) -> Purged:
    """`cleanup_expired` batch by batch; each batch's objects go once its rows are committed.

    In that order a failed delete leaves an orphan object (reported, and still listed on its media row,
    which keeps its keys) rather than a live row pointing at nothing.
    """
    result = Purged()
    with sessions() as session:
        while (cleanup := stories.cleanup_expired(session, now, retention, limit=batch)).story_ids:
            result.stories += len(cleanup.story_ids)
            for key in cleanup.keys:
                try:
                    store.delete(key)
                    result.objects += 1
                except Exception:  # any store error: report the key, go on with the rest
                    result.failed.append(key)
    return result
