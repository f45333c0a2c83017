"""Each filter on small fixed inputs, and the visibility filters held to `social_core.visibility`."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from features.catalogue import PostCatalogue
from ranking.filters.base import Filter
from ranking.filters.hidden import HiddenConfig, HiddenFilter
from ranking.filters.network import FollowedAuthorFilter, UnfollowedFilter
from ranking.filters.seen import SeenFilter
from ranking.filters.visibility import BlockedFilter, DeletedFilter, OwnPostFilter, PrivateFilter
from ranking.frame import Frame, merged
from ranking.hydrators.posts import PostFactsHydrator
from ranking.hydrators.viewer import ViewerGraphHydrator
from ranking.types import ViewerFacts
from social_core.models import User
from social_core.visibility import can_see_content
from tests.ranking.conftest import NAMES, Row, cand, context_for, every_post, frame_of, post, proposed


def run(f: Filter, viewer: ViewerFacts, candidates: list[Row]) -> tuple[list[int], list[int]]:
    frame = frame_of(candidates)
    removed = f(context_for(viewer), frame)
    return frame.post_id[~removed].tolist(), frame.post_id[removed].tolist()


def hydrated(world: Engine, viewer: ViewerFacts, frame: Frame) -> tuple[object, Frame]:
    context = context_for(viewer)
    ViewerGraphHydrator(world)(context)
    PostFactsHydrator(PostCatalogue(world))(context, frame)
    return context, frame


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
    frame = frame_of([stale_only, stale_and_popular, still_followed, recommended])
    removed = UnfollowedFilter()(context_for(viewer), frame)
    assert removed.tolist() == [True, False, False, False]
    assert frame.source_names(1) == ("popular",) and frame.source_names(2) == ("following",)


def test_hydrated_world_facts(world: Engine) -> None:
    frame = merged(["following", "x"], [every_post(), proposed([(99_999, None, 1.0)])])
    context, frame = hydrated(world, ViewerFacts(1), frame)
    row = {p: i for i, p in enumerate(frame.post_id.tolist())}
    assert frame.author_id[row[201]] == 2 and not frame.author_private[row[201]]
    assert PostCatalogue(world).usernames_of([2]) == ["alice"]
    assert frame.author_private[row[401]] and frame.deleted[row[702]] and frame.deleted[row[99_999]]
    viewer = context.viewer  # type: ignore[attr-defined]
    assert viewer.blocked == {5, 6} and viewer.followed == {2, 3} == set(viewer.followers_of)
    assert viewer.hidden_posts == {701, 801, 802, 803} and viewer.hides_by_author == {7: 1, 8: 3}


@pytest.mark.parametrize("viewer_id", sorted(NAMES))
def test_visibility_filters_agree_with_social_core(world: Engine, viewer_id: int) -> None:
    """The blocked and private filters keep exactly the authors `can_see_content` lets the viewer see."""
    context, frame = hydrated(world, ViewerFacts(viewer_id), merged(["following"], [every_post()]))
    for f in (BlockedFilter(), PrivateFilter()):
        frame = frame.take(~f(context, frame))  # type: ignore[arg-type]
    kept_authors = set(frame.author_id.tolist())
    with Session(world) as session:
        visible = {a for a in NAMES if can_see_content(session, viewer_id, session.get_one(User, a))}
    assert kept_authors == visible
    if viewer_id == 1:  # the world is built around viewer 1: carol is private, dave and erin block
        assert visible == {1, 2, 3, 7, 8}


def test_a_viewer_without_a_graph_gets_empty_facts(world: Engine) -> None:
    frame = merged(["x"], [proposed([(post(2, 1), 2, 1.0), (post(2, 2), None, 1.0)])])
    context, frame = hydrated(world, ViewerFacts(2), frame)
    assert context.viewer == ViewerFacts(2) and frame.author_id.tolist() == [2, 2]  # type: ignore[attr-defined]
