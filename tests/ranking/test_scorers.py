"""The scorer registry: one contract over every scorer, the heuristic, the fallback, LightGBM contributions."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from features.schema import PRIOR_RATE
from ranking.model import HEADS, RankerModel
from ranking.scorers.base import FeatureFrame
from ranking.scorers.heuristic import HeuristicConfig, HeuristicModel
from ranking.scorers.model_scorer import ModelScorer
from ranking.scorers.registry import SCORERS, ScorerConfig, build_scorer, resolve_scorer
from tests.ranking.conftest import COLUMNS, FakeModel, feature_row


def frame(rows: list[dict[str, float]], columns: list[str] | None = None) -> FeatureFrame:
    matrix = np.array([feature_row(r) for r in rows])
    if columns is None:
        return FeatureFrame(matrix, tuple(COLUMNS))
    return FeatureFrame(matrix[:, [COLUMNS.index(c) for c in columns]], tuple(columns))


ROWS = [
    {"post_engagement_rate": 0.01, "ua_interactions_28d": 0, "post_age_hours": 100},
    {"post_engagement_rate": 0.10, "ua_interactions_28d": 5, "post_age_hours": 2, "ua_follows": 1},
    {"post_engagement_rate": 0.05, "ua_interactions_28d": 1, "ua_hides_28d": 2},
]


class TinyLightGBM:
    """A test-local `RankerModel` around a real `lightgbm.Booster` (one head), with `pred_contrib`."""

    heads: tuple[str, ...] = ("like",)
    feature_names: tuple[str, ...] = ("ua_interactions_28d", "post_engagement_rate", "post_age_hours")
    version = "tiny-lgb/1"

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        x = np.column_stack([rng.poisson(2, 400), rng.uniform(0, 0.2, 400), rng.uniform(0, 72, 400)])
        y = (x[:, 0] + rng.normal(0, 0.5, 400) > 2.5).astype(float)
        params = {"objective": "binary", "verbose": -1, "num_leaves": 4, "seed": seed, "num_threads": 1}
        self.booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=20)

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        return {"like": np.asarray(self.booster.predict(features))}

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        return np.asarray(self.booster.predict(features, pred_contrib=True))[:, :-1]


def model_for(kind: str) -> RankerModel | None:
    return None if kind == "heuristic" else FakeModel()


@pytest.mark.parametrize("kind", sorted(SCORERS))
def test_every_scorer_keeps_the_contract(kind: str) -> None:
    scorer = build_scorer({"type": kind}, model_for(kind))
    assert scorer.kind == kind and scorer.version
    shuffled = list(reversed(COLUMNS))
    for f in (frame(ROWS), frame(ROWS, shuffled)):
        predictions = scorer(f)
        assert predictions and set(predictions) <= set(HEADS)
        for p in predictions.values():
            assert p.shape == (len(ROWS),) and np.all((p >= 0) & (p <= 1))
        for head in predictions:
            values = scorer.contributions(f, head)
            assert values is None or values.shape == (len(ROWS), len(scorer.feature_names))
    same = scorer(frame(ROWS, shuffled))
    for head, p in scorer(frame(ROWS)).items():  # columns are read by name, not position
        np.testing.assert_allclose(same[head], p)
    empty = scorer(FeatureFrame(np.zeros((0, len(COLUMNS))), tuple(COLUMNS)))
    assert all(p.shape == (0,) for p in empty.values())


def test_torch_scorers_do_not_explain_by_feature_lightgbm_does() -> None:
    model = FakeModel()
    assert build_scorer({"type": "torch"}, model).contributions(frame(ROWS), "like") is None
    assert build_scorer({"type": "lightgbm"}, model).contributions(frame(ROWS), "like") is not None


def test_heuristic_is_recency_times_rate_times_affinity() -> None:
    scorer = build_scorer({"type": "heuristic"})
    base = {"post_engagement_rate": 0.05, "post_age_hours": 24.0}
    like = scorer(
        frame(
            [
                base,
                {**base, "post_age_hours": 48.0},
                {**base, "post_engagement_rate": 0.10},
                {**base, "ua_interactions_28d": 5},
                {**base, "ua_follows": 1},
                {**base, "ua_hides_28d": 1},
            ]
        )
    )["like"]
    assert like[0] == pytest.approx(PRIOR_RATE * 0.5)  # a typical post: the prior rate, a day old
    assert like[1] == pytest.approx(like[0] / 2)  # one half-life older
    assert like[2] == pytest.approx(like[0] * 2)  # twice the engagement rate
    assert like[3] > like[0] and like[4] == pytest.approx(like[0] * 2) and like[5] == pytest.approx(like[0] / 2)


def test_heuristic_contributions_add_up_to_its_log_probability() -> None:
    model = HeuristicModel(HeuristicConfig(half_life_hours=12.0))
    scorer = ModelScorer(model, "heuristic")
    f = frame(ROWS)
    values = scorer.contributions(f, "like")
    assert values is not None
    log_typical = np.log(PRIOR_RATE) - np.log(2.0) * 24.0 / 12.0
    np.testing.assert_allclose(values.sum(axis=1) + log_typical, np.log(scorer(f)["like"]))
    assert np.argmax(values[1]) == model.feature_names.index("post_age_hours")  # 2 h old is its strength


def test_empty_registry_falls_back_to_the_heuristic() -> None:
    config = ScorerConfig("lightgbm")
    scorer, reason = resolve_scorer(config, lambda: None)
    assert scorer.kind == "heuristic" and scorer.version == "heuristic" and reason and "no model" in reason

    def broken() -> RankerModel | None:
        raise OSError("registry unreachable")

    scorer, reason = resolve_scorer(config, broken)
    assert scorer.kind == "heuristic" and reason and "loading failed" in reason
    scorer, reason = resolve_scorer(config, FakeModel)
    assert (scorer.kind, scorer.version, reason) == ("lightgbm", "fake/7", None)


def test_configs_from_plain_dicts() -> None:
    assert ScorerConfig.from_dict({"type": "torch"}).type == "torch"
    assert ScorerConfig.from_dict({"heuristic": {"half_life_hours": 6}}).heuristic.half_life_hours == 6
    with pytest.raises(ValueError, match="unknown scorer type 'xgboost'"):
        ScorerConfig.from_dict({"type": "xgboost"})
    with pytest.raises(ValueError, match="unknown scorer setting"):
        ScorerConfig.from_dict({"type": "torch", "path": "x"})
    with pytest.raises(ValueError, match="needs a model"):
        build_scorer({"type": "lightgbm"}, None)


class Misbehaving(FakeModel):
    def __init__(self, output: str) -> None:
        super().__init__()
        self.output = output

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        out = super().predict(features)
        out["like"] = {"above_one": out["like"] + 1.0, "nan": out["like"] * np.nan, "short": out["like"][:1]}[
            self.output
        ]
        return out


@pytest.mark.parametrize("output", ["above_one", "nan", "short"])
def test_a_model_breaking_the_contract_raises(output: str) -> None:
    with pytest.raises(ValueError, match="probabilities"):
        ModelScorer(Misbehaving(output), "torch")(frame(ROWS))


def test_missing_features_and_unknown_heads_are_errors() -> None:
    scorer = ModelScorer(FakeModel(), "lightgbm")
    with pytest.raises(ValueError, match="ua_interactions_28d"):
        scorer(frame(ROWS, ["post_engagement_rate", "post_age_hours"]))
    model = FakeModel()
    model.heads = ("like", "dwell")
    with pytest.raises(ValueError, match="dwell"):
        ModelScorer(model, "torch")


def test_lightgbm_contributions_point_at_the_feature_that_drives_the_score() -> None:
    scorer = build_scorer({"type": "lightgbm"}, TinyLightGBM())
    f = frame([{"ua_interactions_28d": 8, "post_engagement_rate": 0.1}, {"ua_interactions_28d": 0}])
    values = scorer.contributions(f, "like")
    assert values is not None and values.shape == (2, 3)
    assert np.argmax(values[0]) == 0 and values[0, 0] > 0 > values[1, 0]
    like = scorer(f)["like"]
    assert like[0] > 0.5 > like[1]
