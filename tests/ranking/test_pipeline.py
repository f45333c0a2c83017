"""Feed and explore pipelines end to end on a small world: what is served, who served it, what fell back."""

from __future__ import annotations

from collections.abc import Sequence

import fakeredis
import numpy as np
import pytest
from sqlalchemy.engine import Engine

from candidates.sources.base import Source
from candidates.types import CandidateQuery, Proposals
from features.catalogue import PostCatalogue
from features.hydrate import Hydrator, HydratorConfig
from features.online_cells import ReadRequest
from ranking.hydrators.features import FeatureReader
from ranking.pipeline import RankingConfig, explore_pipeline, feed_pipeline
from ranking.scorers.registry import ScorerConfig
from ranking.seen import SeenConfig, SeenStore
from ranking.types import RankingRequest
from tests.ranking.conftest import NOW, FakeFeatures, FakeModel, ListSource, every_post, post, proposed

VISIBLE = {201, 202, 203, 301, 302, 303, 703}
REQUEST = RankingRequest(1, limit=30, now_ts=NOW.timestamp())
LIGHTGBM = RankingConfig(scorer=ScorerConfig("lightgbm"))


class BrokenSource(Source):
    name = "two_tower"

    def fetch(self, query: CandidateQuery) -> Proposals:
        raise RuntimeError("index file missing")


class SaveLovesFollows(FakeModel):
    """`like` follows the engagement rate, `save` follows whether the viewer follows the author."""

    feature_names: tuple[str, ...] = ("post_engagement_rate", "ua_follows")

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        like = np.clip(features[:, 0] * 5, 0, 1)
        return {
            "like": like,
            "comment": like / 4,
            "save": 0.05 + 0.2 * features[:, 1],
            "share": like / 8,
            "hide": like * 0,
        }


def sources() -> list[ListSource]:
    """Following: the followed authors' posts, and frank's three though the viewer no longer follows him
    (701 is also hidden, 702 deleted, 703 popular too). Popular: a bit of everything the filters catch."""
    every = every_post()
    following = every.take(np.isin(every.post_id // 100, [2, 3, 7]))
    popular_ids = [703, 203, 999, 101, 401, 501, 601, 801, 802, 803]
    popular = proposed([(p, p // 100 if p != 999 else None, 10.0 - i) for i, p in enumerate(popular_ids)])
    return [ListSource("following", following), ListSource("popular", popular)]


def features() -> FakeFeatures:
    return FakeFeatures(
        {
            203: {"post_engagement_rate": 0.15, "post_age_hours": 3},
            703: {"post_engagement_rate": 0.12, "post_age_hours": 5},
            301: {"ua_interactions_28d": 12, "ua_follows": 1, "post_age_hours": 20},
            302: {"ua_follows": 1},
        }
    )


def test_feed_serves_only_what_the_viewer_may_see_with_reasons(world: Engine) -> None:
    reader, listed = features(), sources()
    result = feed_pipeline(listed, world, PostCatalogue(world), reader, config=LIGHTGBM)(REQUEST)
    assert listed[0].queries[0].followees == {2: 0, 3: 0}  # the viewer graph, read before the sources
    served = [i.post_id for i in result.items]
    assert set(served) == VISIBLE and len(served) == len(VISIBLE)
    assert all(i.reason for i in result.items)
    assert [i.score for i in result.items][:2] == sorted((i.score for i in result.items), reverse=True)[:2]
    assert {i.post_id: i.author_id for i in result.items}[301] == 3
    assert set(reader.calls[0]) == VISIBLE  # features only for the filters' survivors
    assert result.candidates_per_source() == {"following": 9, "popular": 10}
    removed = {"deleted": 2, "own_post": 1, "blocked": 2, "private": 1, "unfollowed": 1, "hidden": 3}
    assert result.removed_per_filter() == removed
    frank = next(i for i in result.items if i.post_id == 703)
    assert frank.sources == ("popular",) and "follow" not in frank.reason
    by = result.served_by
    assert (by.pipeline, by.scorer, by.model_version, by.sources) == (
        "feed",
        "heuristic",
        "heuristic",
        ("following", "popular"),
    )
    assert by.degraded and by.degraded_reasons == ("no model registered: heuristic scorer",)
    merged = next(s for s in result.stages if s.kind == "merge")
    assert (merged.count_in, merged.count_out) == (19, 17)  # 703 and 203 came from both sources
    kinds = [s.kind for s in result.stages]
    assert kinds.index("query") < kinds.index("source") < kinds.index("hydrator") < kinds.index("filter")
    assert kinds.index("filter") < kinds.index("scorer")
    assert kinds.index("scorer") < kinds.index("selector") < kinds.index("explain")
    assert all(s.seconds >= 0 for s in result.stages)


def test_failures_degrade_but_still_serve(world: Engine) -> None:
    reader = FakeFeatures(fail=True)
    pipeline = feed_pipeline(
        [*sources(), BrokenSource()], world, PostCatalogue(world), reader, load_model=FakeModel, config=LIGHTGBM
    )
    result = pipeline(REQUEST)
    assert {i.post_id for i in result.items} == VISIBLE and all(i.reason for i in result.items)
    by = result.served_by
    assert by.failed_sources == ("two_tower",) and by.sources == ("following", "popular")
    assert set(by.degraded_reasons) == {
        "a candidate source failed: skipped",
        "online store unreachable: feature defaults",
    }
    assert result.candidates_per_source()["two_tower"] == 0
    assert (by.scorer, by.model_version) == ("lightgbm", "fake/7")


def test_a_registered_model_serves_and_weights_can_be_overridden(world: Engine) -> None:
    pipeline = feed_pipeline(
        sources(), world, PostCatalogue(world), features(), load_model=SaveLovesFollows, config=LIGHTGBM
    )
    plain = pipeline(REQUEST)
    assert not plain.served_by.degraded and plain.served_by.model_version == "fake/7"
    assert plain.items[0].post_id == 203  # the highest engagement rate
    experiment = pipeline(RankingRequest(1, now_ts=NOW.timestamp(), weight_overrides={"save": 60.0}))
    assert experiment.items[0].post_id in {301, 302}  # saves weigh most: followed bob first
    assert experiment.items[0].score > plain.items[0].score
    with pytest.raises(ValueError, match="hide"):
        pipeline(RankingRequest(1, weight_overrides={"hide": 1.0}))


def test_a_model_that_fails_at_predict_time_falls_back(world: Engine) -> None:
    class Exploding(FakeModel):
        def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
            raise MemoryError("out of memory")

    result = feed_pipeline(sources(), world, PostCatalogue(world), features(), load_model=Exploding, config=LIGHTGBM)(
        REQUEST
    )
    assert (
        result.served_by.scorer == "heuristic" and "model failed: heuristic scorer" in result.served_by.degraded_reasons
    )
    assert {i.post_id for i in result.items} == VISIBLE


def test_a_bad_override_fails_before_any_work(world: Engine) -> None:
    listed = sources()
    with pytest.raises(ValueError, match="unknown value-model head"):
        feed_pipeline(listed, world, PostCatalogue(world), features())(
            RankingRequest(1, weight_overrides={"dwell": 1.0})
        )
    assert not listed[0].queries


def test_served_posts_are_not_served_again(world: Engine) -> None:
    seen = SeenStore(fakeredis.FakeRedis(), SeenConfig(prefix="test:seen:"))
    pipeline = feed_pipeline(sources(), world, PostCatalogue(world), features(), seen=seen)
    first = pipeline(RankingRequest(1, limit=3, now_ts=NOW.timestamp()))
    second = pipeline(RankingRequest(1, limit=3, now_ts=NOW.timestamp() + 60))
    first_ids, second_ids = {i.post_id for i in first.items}, {i.post_id for i in second.items}
    assert len(first_ids) == 3 and len(second_ids) == 3 and not first_ids & second_ids
    assert second.removed_per_filter()["seen"] == 3
    assert set(seen.recent(1)) == first_ids | second_ids


def test_explore_is_out_of_network_only(world: Engine) -> None:
    two_tower = proposed([(p, None, 0.5) for p in every_post().post_id.tolist()])
    result = explore_pipeline([ListSource("two_tower", two_tower)], world, PostCatalogue(world), features())(REQUEST)
    assert [i.post_id for i in result.items] == [703]  # alice and bob are followed; the rest hidden or blocked
    assert result.removed_per_filter()["followed_author"] == 6
    assert result.served_by.pipeline == "explore" and not result.served_by.degraded
    assert "explore_grid" in [s.name for s in result.stages]


def test_author_runs_are_broken_in_the_feed(world: Engine) -> None:
    result = feed_pipeline(sources(), world, PostCatalogue(world), features())(
        RankingRequest(1, now_ts=NOW.timestamp())
    )
    authors = [i.author_id for i in result.items]
    assert not any(a == b == c for a, b, c in zip(authors, authors[1:], authors[2:], strict=False))
    assert post(7, 3) in {i.post_id for i in result.items}


class EmptyOnlineStore:
    """An online store without a single row (or, with `down`, one that cannot be reached)."""

    key_suffix = b""

    def __init__(self, down: bool = False) -> None:
        self.down = down

    def read_many(self, requests: Sequence[ReadRequest]) -> list[np.ndarray]:
        if self.down:
            raise ConnectionError("online store down")
        return [np.full((len(r.keys), len(r.fields)), np.nan) for r in requests]


@pytest.mark.parametrize("down", [False, True])
def test_the_real_feature_hydrator_plugs_in(world: Engine, down: bool) -> None:
    reader: FeatureReader = Hydrator(EmptyOnlineStore(down), HydratorConfig(cache_ttl_s=0))
    result = feed_pipeline(sources(), world, PostCatalogue(world), reader)(REQUEST)
    assert {i.post_id for i in result.items} == VISIBLE and all(i.reason for i in result.items)
    assert result.served_by.degraded == down


def test_nothing_to_rank_is_an_empty_page(world: Engine) -> None:
    result = feed_pipeline([ListSource("following", Proposals.none())], world, PostCatalogue(world), features())(
        REQUEST
    )
    assert result.items == [] and not result.served_by.degraded
    assert result.candidates_per_source() == {"following": 0}
