"""Each filter on small fixed inputs, and the visibility filters held to `social_core.visibility`."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ranking.filters.base import Filter
from ranking.filters.hidden import HiddenConfig, HiddenFilter
from ranking.filters.network import FollowedAuthorFilter, UnfollowedFilter
from ranking.filters.seen import SeenFilter
from ranking.filters.visibility import BlockedFilter, DeletedFilter, OwnPostFilter, PrivateFilter
from ranking.hydrators.posts import PostFactsHydrator
from ranking.hydrators.viewer import ViewerGraphHydrator
from ranking.types import ScoredCandidate, ViewerFacts
from social_core.models import User
from social_core.visibility import can_see_content
from tests.ranking.conftest import NAMES, cand, context_for, every_post, ids, post


def run(f: Filter, viewer: ViewerFacts, candidates: list[ScoredCandidate]) -> tuple[list[int], list[int]]:
    result = f(context_for(viewer), candidates)
    return ids(result.kept), ids(result.removed)


def test_deleted_drops_deleted_and_unknown_posts() -> None:
    candidates = [cand(1, 10), cand(2, 10, deleted=True), cand(3, None), cand(4, 11)]
    assert run(DeletedFilter(), ViewerFacts(1), candidates) == ([1, 4], [2, 3])


def test_own_posts() -> None:
    assert run(OwnPostFilter(), ViewerFacts(10), [cand(1, 10), cand(2, 11), cand(3, 10)]) == ([2], [1, 3])


def test_blocked_either_way() -> None:
    viewer = ViewerFacts(1, blocked={5, 6})
    assert run(BlockedFilter(), viewer, [cand(1, 5), cand(2, 7), cand(3, 6)]) == ([2], [1, 3])


def test_private_unless_followed_or_self() -> None:
    viewer = ViewerFacts(1, followed={3})
    candidates = [
        cand(1, 3, author_private=True),
        cand(2, 4, author_private=True),
        cand(3, 4),
        cand(4, 1, author_private=True),
    ]
    assert run(PrivateFilter(), viewer, candidates) == ([1, 3, 4], [2])


def test_seen_recently() -> None:
    viewer = ViewerFacts(1, seen={2, 9})
    assert run(SeenFilter(), viewer, [cand(1, 5), cand(2, 5), cand(3, 6)]) == ([1, 3], [2])


def test_hidden_post_and_author_hidden_often_enough() -> None:
    viewer = ViewerFacts(1, hidden_posts={11}, hides_by_author={7: 1, 8: 3})
    candidates = [cand(11, 7), cand(12, 7), cand(21, 8), cand(31, 9)]
    assert run(HiddenFilter(), viewer, candidates) == ([12, 31], [11, 21])
    assert run(HiddenFilter(HiddenConfig(author_hides=1)), viewer, candidates) == ([31], [11, 12, 21])


def test_followed_author_for_explore() -> None:
    viewer = ViewerFacts(1, followed={2})
    assert run(FollowedAuthorFilter(), viewer, [cand(1, 2), cand(2, 3), cand(3, None)]) == ([2, 3], [1])


def test_unfollowed_authors_lose_the_following_source() -> None:
    viewer = ViewerFacts(1, followed={2})
    stale_only = cand(1, 3, sources={"following": 5.0})
    stale_and_popular = cand(2, 3, sources={"following": 5.0, "popular": 1.0})
    still_followed = cand(3, 2, sources={"following": 5.0})
    recommended = cand(4, 3, sources={"two_tower": 0.4})
    kept, removed = run(UnfollowedFilter(), viewer, [stale_only, stale_and_popular, still_followed, recommended])
    assert (kept, removed) == ([2, 3, 4], [1])
    assert stale_and_popular.sources == {"popular": 1.0} and still_followed.sources == {"following": 5.0}


def test_hydrated_world_facts(world: Engine) -> None:
    context = context_for()
    candidates = [ScoredCandidate.of(c) for c in every_post()] + [ScoredCandidate(99_999, None, {})]
    PostFactsHydrator(world)(context, candidates)
    ViewerGraphHydrator(world)(context, candidates)
    by_id = {c.post_id: c for c in candidates}
    assert by_id[201].author_id == 2 and by_id[201].author_name == "alice" and not by_id[201].author_private
    assert by_id[401].author_private and by_id[702].deleted and by_id[99_999].deleted
    viewer = context.viewer
    assert viewer.blocked == {5, 6} and viewer.followed == {2, 3}
    assert viewer.hidden_posts == {701, 801, 802, 803} and viewer.hides_by_author == {7: 1, 8: 3}


@pytest.mark.parametrize("viewer_id", sorted(NAMES))
def test_visibility_filters_agree_with_social_core(world: Engine, viewer_id: int) -> None:
    """The blocked and private filters keep exactly the authors `can_see_content` lets the viewer see."""
    context = context_for(ViewerFacts(viewer_id))
    candidates = [ScoredCandidate.of(c) for c in every_post()]
    PostFactsHydrator(world)(context, candidates)
    ViewerGraphHydrator(world)(context, candidates)
    for f in (BlockedFilter(), PrivateFilter()):
        candidates = f(context, candidates).kept
    kept_authors = {c.author_id for c in candidates}
    with Session(world) as session:
        visible = {a for a in NAMES if can_see_content(session, viewer_id, session.get_one(User, a))}
    assert kept_authors == visible
    if viewer_id == 1:  # the world is built around viewer 1: carol is private, dave and erin block
        assert visible == {1, 2, 3, 7, 8}


def test_only_own_posts_need_no_graph(world: Engine) -> None:
    context = context_for(ViewerFacts(2))
    candidates = [ScoredCandidate(post(2, 1), 2, {}), ScoredCandidate(post(2, 2), None, {})]
    PostFactsHydrator(world)(context, candidates)
    ViewerGraphHydrator(world)(context, candidates)
    assert context.viewer == ViewerFacts(2) and [c.author_id for c in candidates] == [2, 2]
