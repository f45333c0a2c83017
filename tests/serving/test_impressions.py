from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from features.batch.events import load_events
from features.training_set import TrainingSetConfig, label_impressions
from ranking.explain import NO_PHRASE
from ranking.result import ROW, ServedBy, ServedList
from serving.app import create_app
from serving.feed.impressions import ServedImpression, page_impressions
from serving.impressions import ImpressionLogConfig, ImpressionLogger
from serving.settings import Settings
from social_core.db import make_engine, make_sessionmaker
from social_core.models import Event

SERVED_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def a_page(n: int, *, request_id: str | None = None, offset: int = 0) -> list[ServedImpression]:
    """`n` served items of one feed page for viewer 7, as the page server hands them to the logger."""
    rows = np.zeros(n, dtype=ROW)
    rows["post"], rows["author"], rows["score"] = 100 + np.arange(n), 200 + np.arange(n), 1.0 - np.arange(n) / 10
    rows["bits"], rows["phrase"] = 0b11, NO_PHRASE
    items = ServedList(("following", "popular"), rows).items()
    served_by = ServedBy("feed", "lightgbm", "7", ("following", "popular"))
    return page_impressions(7, items, served_by, offset=offset, request_id=request_id, at=SERVED_AT)


def impression_events(engine: Engine) -> list[Event]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(Event).where(Event.type == "impression").order_by(Event.id)))


def wait_for(engine: Engine, n: int, timeout_s: float = 10.0) -> list[Event]:
    deadline = time.monotonic() + timeout_s
    while len(events := impression_events(engine)) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return events


def test_served_items_become_impression_events_with_their_positions(engine: Engine) -> None:
    logger = ImpressionLogger(make_sessionmaker(engine)).start()
    impressions = a_page(3, request_id="req-1", offset=10)
    assert logger.log(impressions) == 3
    logger.stop()
    events = impression_events(engine)
    assert [(e.actor_id, e.post_id, e.target_id) for e in events] == [(7, 100, 200), (7, 101, 201), (7, 102, 202)]
    assert [e.payload["position"] for e in events] == [10, 11, 12]
    assert events[0].payload == {
        "position": 10,
        "request_id": "req-1",
        "pipeline": "feed",
        "model_version": "7",
        "source": "following",
        "sources": ["following", "popular"],
        "score": 1.0,
    }
    assert {e.created_at for e in events} == {SERVED_AT}  # served time, not flush time
    assert (logger.written, logger.dropped, logger.failed) == (3, 0, 0)


def test_the_training_set_reads_them_as_impressions(engine: Engine) -> None:
    logger = ImpressionLogger(make_sessionmaker(engine)).start()
    logger.log(a_page(2, request_id="r"))
    logger.stop()
    frame = label_impressions(load_events(engine, types=("impression",)).frame, TrainingSetConfig())
    rows = frame[["user_id", "post_id", "author_id", "impression_ts"]].values.tolist()
    assert rows == [[7, 100, 200, SERVED_AT.timestamp() * 1000], [7, 101, 201, SERVED_AT.timestamp() * 1000]]


def test_a_batch_is_written_after_flush_ms_without_stopping(engine: Engine) -> None:
    config = ImpressionLogConfig(batch_size=1000, flush_ms=50)
    logger = ImpressionLogger(make_sessionmaker(engine), config).start()
    try:
        logger.log(a_page(2))
        assert len(wait_for(engine, 2)) == 2
    finally:
        logger.stop()


def test_a_full_batch_is_written_before_flush_ms(engine: Engine) -> None:
    config = ImpressionLogConfig(batch_size=2, flush_ms=600_000)
    logger = ImpressionLogger(make_sessionmaker(engine), config).start()
    try:
        logger.log(a_page(2))
        assert len(wait_for(engine, 2)) == 2
    finally:
        logger.stop()


def test_pages_waiting_together_are_written_batch_size_at_a_time(engine: Engine) -> None:
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    logger = ImpressionLogger(make_sessionmaker(engine), ImpressionLogConfig(batch_size=2, flush_ms=600_000))
    for page in (
        a_page(3),
        a_page(2),
    ):  # the writer is not running: five wait, in two pages
        logger.log(page)
    logger.stop()
    assert len(commits) == 3  # 2 + 2 + 1
    assert [e.post_id for e in impression_events(engine)] == [100, 101, 102, 100, 101]


def test_stop_flushes_what_is_queued(engine: Engine) -> None:
    config = ImpressionLogConfig(batch_size=1000, flush_ms=600_000)  # nothing would be written before stop
    logger = ImpressionLogger(make_sessionmaker(engine), config).start()
    logger.log(a_page(5))
    time.sleep(0.2)
    assert impression_events(engine) == []
    logger.stop()
    assert [e.payload["position"] for e in impression_events(engine)] == [0, 1, 2, 3, 4]
    assert logger.log(a_page(1)) == 0  # stopped: dropped
    assert logger.dropped == 1


def test_a_full_queue_drops_and_counts_instead_of_blocking(engine: Engine) -> None:
    drops: list[int] = []
    logger = ImpressionLogger(make_sessionmaker(engine), ImpressionLogConfig(max_queue=2), on_drop=drops.append)
    started = time.perf_counter()  # the writer is not running: nothing frees the queue
    assert logger.log(a_page(5)) == 2
    assert logger.log(a_page(1)) == 0
    assert time.perf_counter() - started < 0.5
    assert (logger.dropped, drops) == (4, [3, 1])
    logger.stop()
    assert [e.post_id for e in impression_events(engine)] == [100, 101]


def test_a_failed_write_is_counted_not_raised(tmp_path: Path) -> None:
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no events table
    logger = ImpressionLogger(make_sessionmaker(unmigrated)).start()
    logger.log(a_page(2))
    logger.stop()
    assert (logger.written, logger.failed) == (0, 2)
    unmigrated.dispose()


def test_the_app_logs_impressions_and_flushes_them_on_shutdown(settings: Settings, engine: Engine) -> None:
    app = create_app(settings)
    with TestClient(app):
        app.state.impressions.log(a_page(2, request_id="r"))
    assert [e.payload["position"] for e in impression_events(engine)] == [0, 1]
