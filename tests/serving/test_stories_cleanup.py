from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from serving.commands.stories import app, purge
from social_core import accounts, stories
from social_core.db import make_sessionmaker
from social_core.media.storage import LocalStore
from social_core.models import Media
from tests.factories import make_media

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class RecordingStore:
    def __init__(self, fail_on: str = "") -> None:
        self.deleted: list[str] = []
        self.fail_on = fail_on

    def delete(self, key: str) -> None:
        if self.fail_on and self.fail_on in key:
            raise OSError("the bucket said no")
        self.deleted.append(key)


def _expired_stories(engine: Engine, count: int) -> list[int]:
    """`count` stories posted 3 days before T0 (so expired 2 days before it); returns their media ids."""
    with make_sessionmaker(engine)() as session:
        alice = accounts.signup(session, "alice", "alice@example.com", "password123")
        media = [make_media(session, alice.id) for _ in range(count)]
        for item in media:
            stories.create_story(session, alice, item.id, now=T0 - timedelta(days=3))
        return [item.id for item in media]


def test_purge_deletes_every_key_of_each_batch(engine: Engine) -> None:
    media_ids = _expired_stories(engine, 3)
    store = RecordingStore()
    result = purge(make_sessionmaker(engine), store, T0, timedelta(days=1), batch=2)
    assert (result.stories, result.objects, result.failed) == (3, 3 * 13, [])
    assert {key.split("/")[1] for key in store.deleted} == {str(m) for m in media_ids}
    assert purge(make_sessionmaker(engine), store, T0, timedelta(days=1)).stories == 0


def test_purge_reports_keys_it_could_not_delete(engine: Engine) -> None:
    _expired_stories(engine, 2)
    result = purge(make_sessionmaker(engine), RecordingStore(fail_on="originals/"), T0, timedelta(days=1))
    assert (result.stories, result.objects, len(result.failed)) == (2, 2 * 12, 2)
    assert all(key.startswith("originals/") for key in result.failed)


def test_keeps_stories_within_retention(engine: Engine) -> None:
    _expired_stories(engine, 1)
    assert purge(make_sessionmaker(engine), RecordingStore(), T0, timedelta(days=3)).stories == 0


def test_cli_removes_the_objects_from_the_local_store(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media_ids = _expired_stories(engine, 1)
    with make_sessionmaker(engine)() as session:
        media = session.scalars(select(Media)).one()
        keys = [v["key"] for v in media.variants] + [media.original_key]
    store = LocalStore(tmp_path / "home" / "media")
    for key in keys:
        store.put(key, b"bytes", "image/jpeg")
    monkeypatch.setenv("PIXELRANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["cleanup", "--retention-hours", "1"])
    assert result.exit_code == 0, result.output
    assert "purged 1 stories, deleted 13 objects" in result.output
    assert not any(store.exists(key) for key in keys)
    with make_sessionmaker(engine)() as session:
        assert session.get(Media, media_ids[0]).deleted_at is not None  # type: ignore[union-attr]
