"""The full pipeline (retrieval + ranker) under the offline protocol, on tiny seeded interaction frames."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from training.evaluation.data import to_canonical
from training.evaluation.models import RECOMMENDERS, PipelineConfig, PipelineRecommender, Popularity
from training.evaluation.models.pipeline_cut import hold_out_last
from training.evaluation.models.pipeline_ease import EASE, EASEConfig
from training.evaluation.models.pipeline_examples import ExampleConfig, training_examples
from training.evaluation.models.pipeline_features import HistoryFeatures
from training.evaluation.models.pipeline_ranker import RankerConfig, fit_ranker
from training.evaluation.report import evaluate_model, make_split
from training.evaluation.split import Split
from training.ranker.lightgbm_job import LightGBMConfig

T0 = 1_600_000_000
FAMILIES = ("lightgbm", "torch")


def clustered(n_users: int = 40, n_items: int = 30, per_user: int = 11, seed: int = 0) -> pd.DataFrame:
    """Two taste clusters (even users pick even items, odd users odd ones), one pick a minute."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        items = rng.choice(np.arange(user % 2, n_items, 2), size=per_user, replace=False)
        rows += [(user, int(item), T0 + 60 * t + user) for t, item in enumerate(items)]
    return to_canonical(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def tiny_split(**kwargs: int) -> Split:
    return make_split(clustered(**kwargs))


def history(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    return frame


# --- the training cut and the features -------------------------------------------------------


def test_hold_out_last_cuts_each_users_latest_fifth_and_keeps_the_catalogue() -> None:
    split = tiny_split()  # 11 positives → 2 test, 9 train per user
    cut = hold_out_last(split)
    assert (cut.n_items, cut.item_ids.tolist()) == (split.n_items, split.item_ids.tolist())
    for user, rows in split.train.groupby("user_idx"):
        held = cut.test[cut.test["user_idx"] == user]
        kept = cut.train[cut.train["user_idx"] == user]
        assert (len(held), len(kept)) == (1, 8)  # max(1, floor(0.2 · 9)) held out
        assert held["timestamp"].min() > kept["timestamp"].max()
        assert held["item_idx"].tolist() == rows.sort_values("timestamp")["item_idx"].tolist()[-1:]


def test_history_features_are_as_of_each_users_now() -> None:
    rows = [(0, 0, T0), (0, 1, T0 + 100), (1, 5, T0 + 50), (1, 6, T0 + 300)]
    before = HistoryFeatures(history(rows), n_users=3, n_items=8)
    later = HistoryFeatures(history([*rows, (2, 5, T0 + 200)]), n_users=3, n_items=8)  # after user 0's now
    pairs = (np.array([0, 0, 1]), np.array([5, 6, 5]))
    names = before.names
    count_7d = names.index("item_count_7d")
    assert before(*pairs)[:, count_7d].tolist() == [1, 0, 1]  # item 6 comes after user 0's now: not counted
    assert later(*pairs)[:, count_7d].tolist() == [1, 0, 2]  # user 1's now (T0+300) sees the new positive
    as_of = [i for i, name in enumerate(names) if name not in ("item_mean_time_gap_days", "user_count")]
    np.testing.assert_array_equal(before(*pairs)[:2, as_of], later(*pairs)[:2, as_of])


def test_training_features_never_read_past_the_cut() -> None:
    """A positive in a user's label part changes that candidate's label and no feature of any example."""
    split = tiny_split()  # 9 train positives per user: a 10th one joins the held-out part, the cut stays
    config = ExampleConfig(cuts=2)
    examples = training_examples(split, config)
    first_cut = examples.groups < split.n_users
    user = int(examples.users[first_cut][0])
    row = int(np.flatnonzero(first_cut & (examples.users == user) & (examples.labels == 0))[0])
    item = int(examples.items[row])
    last = split.train.loc[split.train["user_idx"] == user, "timestamp"].max()
    future = pd.DataFrame(
        {
            "user_id": [split.user_ids[user]],
            "item_id": [split.item_ids[item]],
            "timestamp": [last + pd.Timedelta(minutes=5)],
            "user_idx": [user],
            "item_idx": [item],
        }
    )
    later = training_examples(replace(split, train=pd.concat([split.train, future], ignore_index=True)), config)
    np.testing.assert_array_equal(later.features, examples.features)
    np.testing.assert_array_equal(later.groups, examples.groups)
    changed = np.flatnonzero(later.labels != examples.labels)
    assert changed.tolist() == [row] and later.labels[row] == 1


def test_ease_matches_the_closed_form() -> None:
    split = tiny_split()
    matrix = split.train_matrix()
    model = EASE(EASEConfig(l2=10.0))
    model.fit(matrix)
    dense = matrix.toarray().astype(np.float64)
    inverse = np.linalg.inv(dense.T @ dense + 10.0 * np.eye(split.n_items))
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    np.testing.assert_allclose(model.scores(matrix[:5]), dense[:5] @ weights, rtol=1e-3, atol=1e-4)


# --- the recommender -------------------------------------------------------------------------


def test_both_families_are_registered() -> None:
    for family in FAMILIES:
        assert isinstance(RECOMMENDERS[family](), PipelineRecommender)
        assert RECOMMENDERS[family]().family == family  # type: ignore[attr-defined]


@pytest.mark.parametrize("family", FAMILIES)
def test_pipeline_recommends_unseen_items_reproducibly(family: str) -> None:
    split = tiny_split()
    first, second = PipelineRecommender(family), PipelineRecommender(family)  # type: ignore[arg-type]
    first.fit(split)
    second.fit(split)
    assert not first.fallback
    users = np.arange(split.n_users)
    top = first.recommend(users, 10)
    assert top.shape == (split.n_users, 10)
    assert (top >= 0).all()  # 21 unseen items, all of them candidates here
    assert not split.train_matrix()[np.repeat(users, 10), top.ravel()].any()
    assert all(len(set(row)) == 10 for row in top.tolist())
    np.testing.assert_array_equal(top, second.recommend(users, 10))
    np.testing.assert_array_equal(first.recommend(users[::-1], 10), top[::-1])  # order of the ask is kept


@pytest.mark.parametrize("family", FAMILIES)
def test_pipeline_beats_popularity_on_planted_clusters(family: str) -> None:
    split = tiny_split(n_users=60, n_items=40, per_user=14, seed=1)
    pipeline = evaluate_model(split, PipelineRecommender(family))  # type: ignore[arg-type]
    popularity = evaluate_model(split, Popularity())
    assert pipeline["ndcg@10"] > 2 * popularity["ndcg@10"]
    assert pipeline["recall@20"] > popularity["recall@20"]


@pytest.mark.parametrize("family", FAMILIES)
def test_ranker_scores_a_row_alike_whatever_rows_come_with_it(family: str) -> None:
    """Fold models are put on one scale at fit time, not on the batch being scored."""
    split = tiny_split()
    examples = training_examples(split)
    names = tuple(f"f{i}" for i in range(examples.features.shape[1]))
    scorer = fit_ranker(examples, names, family, RankerConfig())  # type: ignore[arg-type]
    every = scorer(examples.features)
    assert np.std(every) > 0
    np.testing.assert_allclose(scorer(examples.features[:3]), every[:3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scorer(examples.features[-50:]), every[-50:], rtol=1e-5, atol=1e-6)


def test_too_few_examples_fall_back_to_the_retrieval_order() -> None:
    split = tiny_split()
    impossible = RankerConfig(lightgbm=LightGBMConfig(min_positives=10**9))
    model = PipelineRecommender("lightgbm", PipelineConfig(ranker=impossible))
    model.fit(split)
    assert model.fallback
    ease = EASE()
    ease.fit(split.train_matrix())
    seen = split.train_matrix()
    scores = np.where(seen.toarray() > 0, -np.inf, ease.scores(seen))
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]  # EASE order, ties to the lower index
    np.testing.assert_array_equal(model.recommend(np.arange(split.n_users), 10), expected)
