"""The served two-tower version: loading the newest one, and the relay keeping its index current."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from candidates.index import IndexConfig, PostIndex
from candidates.two_tower.embed import embed_new_posts, embed_posts, post_table
from candidates.two_tower.model import TwoTower
from candidates.two_tower.posts import post_rows
from candidates.two_tower.runtime import PostIndexer, TwoTowerRuntime, latest_version
from candidates.two_tower.store import save_model
from social_core import outbox
from social_core.models import Post
from social_core.relay import Relay
from tests.candidates.conftest import SmallWorld
from tests.candidates.test_two_tower import SMALL

NEW_POST = 9_001


def write_version(home: Path, name: str, engine: Engine) -> Path:
    torch.manual_seed(0)
    model = TwoTower.build(SMALL)
    with engine.connect() as conn:
        rows = post_rows(conn)
    table = post_table(rows, SMALL.max_tokens, SMALL.post_stats)
    folder = home / "models" / "two_tower" / name
    save_model(model, folder)
    PostIndex.build(table.post_ids, embed_posts(model, table), IndexConfig()).save(folder / "index")
    return folder


def test_the_newest_complete_version_is_served(tmp_path: Path, small_world: SmallWorld) -> None:
    assert TwoTowerRuntime.latest(tmp_path) is None
    write_version(tmp_path, "20260101T000000", small_world.engine)
    newest = write_version(tmp_path, "20260102T000000", small_world.engine)
    (tmp_path / "models" / "two_tower" / "20260103T000000").mkdir()  # training still running: no files yet
    assert latest_version(tmp_path) == newest
    runtime = TwoTowerRuntime.latest(tmp_path)
    assert runtime is not None and runtime.version == "20260102T000000" and len(runtime.index) == 18


def test_the_relay_indexes_new_posts_and_drops_deleted_ones(tmp_path: Path, small_world: SmallWorld) -> None:
    engine = small_world.engine
    runtime = TwoTowerRuntime.load(write_version(tmp_path, "v1", engine))
    at = datetime(2026, 1, 10, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Post), [{"id": NEW_POST, "author_id": 2, "caption": "brand new #topic0", "created_at": at}])
    sessions = sessionmaker(engine)
    relay = Relay(sessions, [PostIndexer(lambda: runtime)])

    with sessions() as session:
        outbox.emit(session, "post_created", actor_id=2, post_id=NEW_POST, target_id=2, now=at)
        session.commit()
    assert relay.drain() == 1
    with engine.connect() as conn:
        vector = embed_new_posts(runtime.model, post_rows(conn, [NEW_POST]))
    ids, _ = runtime.index.search(vector, 1)
    assert ids[0, 0] == NEW_POST  # found by its own content embedding
    assert NEW_POST in TwoTowerRuntime.load(runtime.folder).index.search(vector, 1)[0]  # and saved

    with sessions() as session:
        outbox.emit(session, "post_deleted", actor_id=2, post_id=NEW_POST, target_id=2, now=at)
        session.commit()
    assert relay.drain() == 1
    assert NEW_POST not in runtime.index.search(vector, 30)[0]
    assert NEW_POST not in TwoTowerRuntime.load(runtime.folder).index.search(vector, 30)[0]
    assert np.isfinite(runtime.index.search(vector, 1)[1][0, 0])
