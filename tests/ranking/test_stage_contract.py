"""Every filter and selector on the frame shapes a ranking meets: empty, all removed, one candidate.

A filter answers with one bool per row; a selector with an order: distinct row indices, best first."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.filters.base import Filter
from ranking.filters.hidden import HiddenFilter
from ranking.filters.network import FollowedAuthorFilter, UnfollowedFilter
from ranking.filters.seen import SeenFilter
from ranking.filters.visibility import BlockedFilter, DeletedFilter, OwnPostFilter, PrivateFilter
from ranking.frame import Frame, empty, merged
from ranking.selectors.author_diversity import AuthorDiversity
from ranking.selectors.base import Selector
from ranking.selectors.exploration import Exploration, ExplorationConfig
from ranking.selectors.explore_grid import ExploreGridMix
from ranking.selectors.mmr import MMR
from ranking.selectors.near_duplicates import NearDuplicates
from ranking.selectors.preferences import PreferenceBoost
from ranking.types import ViewerFacts
from social_core.preferences import RankingPreferences
from tests.ranking.conftest import cand, context_for, feature_row, frame_of, proposed

FILTERS: list[Filter] = [
    DeletedFilter(),
    OwnPostFilter(),
    BlockedFilter(),
    PrivateFilter(),
    SeenFilter(),
    HiddenFilter(),
    FollowedAuthorFilter(),
    UnfollowedFilter(),
]
SELECTORS: list[Selector] = [
    MMR(lambda ids: np.ones((len(ids), 2), dtype=np.float32)),
    AuthorDiversity(),
    ExploreGridMix(),
    PreferenceBoost(),
    Exploration(ExplorationConfig(rate=1.0, seed=0)),
    NearDuplicates(spacing=3, shuffled_head=2),  # the feed's
    NearDuplicates(),  # explore's
]
VIEWER = ViewerFacts(1, blocked={5}, followed={2}, hidden_posts={11}, hides_by_author={7: 3}, seen={12})


def one() -> Frame:
    frame = frame_of([cand(30, 2, score=1.0, sources={"following": 1.0}, features=feature_row())])
    frame.phash[:] = 12345  # a picture: the near-duplicate stage compares it
    return frame


def everything_removed() -> Frame:
    frame = frame_of([cand(p, 5, score=1.0, features=feature_row()) for p in (40, 41)])
    return frame.take(~BlockedFilter()(context_for(VIEWER), frame))


FRAMES = {"empty": lambda: empty(("following", "popular")), "all removed": everything_removed, "one": one}


@pytest.mark.parametrize("shape", FRAMES)
@pytest.mark.parametrize("rule", FILTERS, ids=lambda f: f.name)
def test_a_filter_answers_one_bool_per_row(rule: Filter, shape: str) -> None:
    frame = FRAMES[shape]()
    removed = rule(context_for(VIEWER), frame)
    assert removed.dtype == bool and removed.shape == (len(frame),)
    assert len(frame.take(~removed)) <= len(frame)


@pytest.mark.parametrize("shape", FRAMES)
@pytest.mark.parametrize("selector", SELECTORS, ids=lambda s: s.name)
def test_a_selector_answers_an_order_of_distinct_rows(selector: Selector, shape: str) -> None:
    frame = FRAMES[shape]()
    prefs = RankingPreferences(friends=2.0)
    order = np.asarray(selector(context_for(VIEWER, preferences=prefs), frame))
    assert order.dtype.kind == "i" and len(set(order.tolist())) == len(order)
    assert set(order.tolist()) <= set(range(len(frame)))
    if shape == "one":
        assert order.tolist() == [0]


def test_merge_keeps_first_seen_order_every_source_and_the_first_known_author() -> None:
    frame = merged(
        ["following", "popular"], [proposed([(7, None, 3.0), (8, 2, 2.0)]), proposed([(9, 4, 1.0), (7, 3, 0.5)])]
    )
    assert frame.post_id.tolist() == [7, 8, 9] and frame.author_id.tolist() == [3, 2, 4]
    assert [frame.source_names(r) for r in range(3)] == [("following", "popular"), ("following",), ("popular",)]
    np.testing.assert_array_equal(frame.source_scores[0], [3.0, 0.5])
    assert np.isnan(frame.source_scores[1, 1])
