"""Explanations: from the strongest contribution, else the largest value-model term, plus the source."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ranking.explain import Explainer, feature_phrase, source_phrase, strongest_phrases
from ranking.result import ServedList
from ranking.scorers.registry import build_scorer
from tests.ranking.conftest import FakeModel, Row, cand, context_for, feature_row, frame_of
from tests.ranking.test_scorers import TinyLightGBM


def served(values: dict[str, float], sources: dict[str, float], head: str = "like") -> Row:
    return cand(1, 2, sources=sources, features=feature_row(values), head=head)


def alice(author_ids: Sequence[int]) -> list[str | None]:
    return ["alice" if a == 2 else None for a in author_ids]


def explain(candidates: list[Row], kind: str, model: object = None) -> list[str]:
    context, frame = context_for(), frame_of(candidates)
    context.scorer = build_scorer({"type": kind}, model)  # type: ignore[arg-type]
    Explainer(alice)(context, frame)
    return [item.reason for item in ServedList.of(frame, alice).items()]  # the text is written as items are built


def test_lightgbm_contributions_name_the_author_affinity() -> None:
    items = [
        served({"ua_interactions_28d": 8, "post_engagement_rate": 0.1}, {"two_tower": 0.9}),
        served({"ua_interactions_28d": 0}, {"social_proof": 2.0, "popular": 5.0}),
    ]
    reasons = explain(items, "lightgbm", TinyLightGBM())
    assert reasons[0] == "you often like posts by @alice · similar to posts you engaged with"
    assert reasons[1].endswith("popular with people you follow") and not reasons[1].startswith("you often like")


def test_heuristic_explains_by_its_largest_factor() -> None:
    items = [
        served({"post_age_hours": 1}, {"following": 1.0}),  # fresh; the source repeats the author: left out
        served({"post_age_hours": 1, "ua_follows": 1}, {"popular": 1.0}),  # following doubles, 1 h is ×1.94
        served({"post_age_hours": 30, "post_engagement_rate": 0.2}, {"popular": 1.0}),
    ]
    assert explain(items, "heuristic") == [
        "new from @alice",
        "you follow @alice · trending now",
        "popular right now",  # and trending: said once
    ]


def test_without_contributions_the_top_head_speaks() -> None:
    item = served({}, {"popular": 3.0}, head="save")
    assert explain([item], "torch", FakeModel()) == ["you may want to save this · trending now"]
    assert explain([served({}, {})], "torch", FakeModel()) == ["you may like this"]


def test_every_served_item_gets_a_reason() -> None:
    rng = np.random.default_rng(5)
    items = []
    for i in range(30):
        values = {"ua_interactions_28d": float(rng.poisson(2)), "post_engagement_rate": float(rng.uniform(0, 0.2))}
        source = ["following", "two_tower", "popular", "social_proof", "fresh"][i % 5]
        items.append(served(values, {source: 1.0}, ["like", "comment"][i % 2]))
    for kind, model in (("lightgbm", FakeModel()), ("torch", FakeModel()), ("heuristic", None)):
        reasons = explain(items, kind, model)
        assert all(r and not r.startswith(" ·") for r in reasons), kind


def test_a_failing_contribution_path_still_explains() -> None:
    class Broken(FakeModel):
        def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
            raise RuntimeError("no pred_contrib today")

    assert explain([served({}, {"popular": 1.0})], "lightgbm", Broken()) == ["you may like this · trending now"]


def test_phrases_by_feature_name() -> None:
    assert feature_phrase("post_likes_24h") == "popular right now"
    assert feature_phrase("user_likes_7d") is None  # the viewer's own habits explain no item
    assert source_phrase(["popular", "social_proof"]) == "popular with people you follow"
    assert source_phrase([]) is None


def test_the_strongest_phrase_is_the_largest_positive_contribution_with_a_phrase() -> None:
    names = ["user_likes_7d", "ua_follows", "post_likes_24h", "author_followers", "user_posts_7d"]
    rng = np.random.default_rng(3)
    values = np.round(rng.normal(size=(400, len(names))), 1)  # rounded: ties happen
    values[:50] = -np.abs(values[:50])  # nothing positive: no phrase

    def one_row(row: np.ndarray) -> str | None:  # the definition, feature by feature
        for j in np.argsort(-row, kind="stable"):
            if row[j] <= 0:
                return None
            if feature_phrase(names[j]) is not None:
                return feature_phrase(names[j])
        return None

    assert strongest_phrases(values, names) == [one_row(row) for row in values]
    assert strongest_phrases(values, ["user_likes_7d"] * len(names)) == [None] * len(values)
