from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from social_core import migrate, outbox, uploads
from social_core.media import LocalStore, process_image
from social_core.models import Event, Media, User
from tests.social_core.media.factories import gps_jpeg

LIMITS = uploads.UploadLimits(avif=False)


def test_upload_stores_variants_and_writes_one_event(
    session: Session, make_user: Callable[..., User], tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "media", fsync=False)
    photo = gps_jpeg((800, 600))
    media = uploads.upload(session, store, make_user("alice"), photo, LIMITS)
    assert media.original_key and store.exists(media.original_key)
    assert all(store.exists(v["key"]) for v in media.variants)
    assert uploads.variant_key(media, "small", "webp").endswith(".webp")
    session.expire_all()
    stored = session.scalar(select(Media.phash).where(Media.id == media.id))
    assert stored == process_image(photo, max_bytes=10**7).phash
    assert session.scalar(select(func.count()).where(Event.type == "media_uploaded")) == 1


def test_a_failure_after_storing_removes_the_new_objects_only(
    session: Session, make_user: Callable[..., User], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "media", fsync=False)
    alice = make_user("alice")
    photo = gps_jpeg((400, 300))
    kept = uploads.upload(session, store, alice, photo, LIMITS)
    before = sorted(p for p in (tmp_path / "media").rglob("*") if p.is_file())

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(outbox, "emit", fail)
    with pytest.raises(RuntimeError):
        uploads.upload(session, store, alice, gps_jpeg((640, 480)), LIMITS)
    with pytest.raises(RuntimeError):  # the same bytes again: shared objects must survive
        uploads.upload(session, store, alice, photo, LIMITS)
    assert sorted(p for p in (tmp_path / "media").rglob("*") if p.is_file()) == before
    assert session.scalar(select(func.count()).select_from(Media)) == 1
    assert all(store.exists(v["key"]) for v in kept.variants)


def test_the_phash_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert "phash" not in {c["name"] for c in inspect(engine).get_columns("media")}
    migrate.upgrade(engine)
    assert "phash" in {c["name"] for c in inspect(engine).get_columns("media")}
