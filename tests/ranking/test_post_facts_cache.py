"""`PostFactsCache`: post facts kept between rankings for a few seconds, then read again."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine

from ranking.hydrators.posts import PostFacts, PostFactsCache, PostFactsHydrator
from ranking.types import ScoredCandidate
from social_core.models import User
from tests.ranking.conftest import context_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def facts(author: int) -> PostFacts:
    return PostFacts(author, False, False, f"user{author}")


def test_facts_expire_after_their_ttl() -> None:
    clock = Clock()
    cache = PostFactsCache(10.0, clock)
    cache.put({1: facts(5), 2: facts(6)})
    assert cache.get([1, 2, 3]) == {1: facts(5), 2: facts(6)}
    clock.now += 9.9
    assert cache.get([2]) == {2: facts(6)}
    clock.now += 0.2
    assert cache.get([1, 2]) == {}


def test_a_full_cache_drops_the_expired_first_then_everything() -> None:
    clock = Clock()
    cache = PostFactsCache(10.0, clock, max_posts=3)
    cache.put({1: facts(5)})
    clock.now += 20
    cache.put({2: facts(6), 3: facts(7)})
    cache.put({4: facts(8)})  # 1 had expired: it makes room
    assert len(cache) == 3 and set(cache.get([1, 2, 3, 4])) == {2, 3, 4}
    cache.put({5: facts(9)})  # nothing expired: everything goes
    assert len(cache) == 1 and set(cache.get([2, 3, 4, 5])) == {5}


def test_nothing_kept_without_a_ttl() -> None:
    cache = PostFactsCache(0.0)
    cache.put({1: facts(5)})
    assert len(cache) == 0


def _hydrate(world: Engine, cache: PostFactsCache, post_ids: list[int]) -> dict[int, ScoredCandidate]:
    candidates = [ScoredCandidate(p, None, {}) for p in post_ids]
    PostFactsHydrator(world, cache)(context_for(), candidates)
    return {c.post_id: c for c in candidates}


def test_hydrator_reads_again_only_what_expired(world: Engine) -> None:
    clock = Clock()
    cache = PostFactsCache(30.0, clock)
    first = _hydrate(world, cache, [201, 401, 99_999])
    assert first[201].author_name == "alice" and first[401].author_private and first[99_999].deleted
    assert len(cache) == 2  # the unknown id is not kept: it may be a post about to be written
    with world.begin() as conn:
        conn.execute(update(User).where(User.id == 2).values(username="alice2", is_private=True))
    cached = _hydrate(world, cache, [201])
    assert cached[201].author_name == "alice" and not cached[201].author_private  # within the ttl
    clock.now += 31
    fresh = _hydrate(world, cache, [201])
    assert fresh[201].author_name == "alice2" and fresh[201].author_private
