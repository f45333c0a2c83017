"""Counters stay exact when many requests hit the same rows at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from social_core import engagement, graph, posts, preferences
from social_core.db import make_sessionmaker
from social_core.models import Event, Like, Post, RankingPreference, User

WORKERS = 20


def _in_parallel(engine: Engine, jobs: list[Callable[[Session], object]]) -> None:
    sessions = make_sessionmaker(engine)

    def run(job: Callable[[Session], object]) -> None:
        with sessions() as session:
            job(session)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(run, jobs))


def test_concurrent_likes_and_follows_keep_counts(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    star = make_user("star")
    fans = [make_user(f"fan{i}") for i in range(WORKERS)]
    post = posts.create_post(session, star, posts.NewPost(caption="hello"))

    def like_and_follow(fan_id: int) -> Callable[[Session], object]:
        def job(s: Session) -> None:
            fan, target = s.get(User, fan_id), s.get(User, star.id)
            assert fan is not None and target is not None
            engagement.like(s, fan, s.get(Post, post.id))  # type: ignore[arg-type]
            graph.follow(s, fan, target)

        return job

    _in_parallel(engine, [like_and_follow(fan.id) for fan in fans])
    session.expire_all()
    assert session.get(Post, post.id).like_count == WORKERS  # type: ignore[union-attr]
    assert session.get(User, star.id).followers_count == WORKERS  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(Like)) == WORKERS


def test_the_same_like_twenty_times_at_once_counts_once(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    star, fan = make_user("star"), make_user("fan")
    post = posts.create_post(session, star, posts.NewPost(caption="hello"))

    def like(s: Session) -> None:
        engagement.like(s, s.get(User, fan.id), s.get(Post, post.id))  # type: ignore[arg-type]

    _in_parallel(engine, [like] * WORKERS)
    session.expire_all()
    assert session.get(Post, post.id).like_count == 1  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).where(Event.type == "like")) == 1


def test_mutual_follows_at_once_do_not_deadlock(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    users = [make_user(f"u{i}") for i in range(5)]
    pairs = [(a.id, b.id) for a in users for b in users if a.id != b.id]

    def follow(a_id: int, b_id: int) -> Callable[[Session], object]:
        return lambda s: graph.follow(s, s.get(User, a_id), s.get(User, b_id))  # type: ignore[arg-type]

    _in_parallel(engine, [follow(a, b) for a, b in pairs])
    session.expire_all()
    for user in users:
        session.refresh(user)
        assert (user.followers_count, user.following_count) == (4, 4)


def test_concurrent_first_ranking_preferences_of_one_user_all_succeed(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("tuner")
    choices = [preferences.RankingPreferences(friends=i / WORKERS, weights={"like": float(i)}) for i in range(WORKERS)]

    def tune(choice: preferences.RankingPreferences) -> Callable[[Session], object]:
        return lambda s: preferences.set_preferences(s, user.id, choice)

    _in_parallel(engine, [tune(choice) for choice in choices])  # the first write of each races to create the row
    stored = preferences.get_preferences(session, user.id)
    assert stored in [replace(choice, updated_at=stored.updated_at) for choice in choices]
    assert session.scalar(select(func.count()).select_from(RankingPreference)) == 1
    events = session.scalars(select(Event).where(Event.type == "ranking_preferences")).all()
    assert len(events) == WORKERS
