from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import typer
from typer.testing import CliRunner

from candidates.two_tower.trainer import TrainConfig
from serving.commands.evaluate import evaluate as evaluate_command
from training.evaluation.data import DatasetError, load_interactions, to_canonical
from training.evaluation.metrics import hit_matrix, mean_metrics, ndcg_at_k, recall_at_k
from training.evaluation.models import (
    ALS,
    RECOMMENDERS,
    Popularity,
    TwoTowerRecommender,
    TwoTowerRecommenderConfig,
    top_k_unseen,
)
from training.evaluation.models.base import Recommender
from training.evaluation.report import evaluate, evaluate_model, make_split, per_user_metrics
from training.evaluation.split import temporal_split


def make_interactions(n_users: int = 40, n_items: int = 30, per_user: int = 10, seed: int = 0) -> pd.DataFrame:
    """Two taste clusters: even users mostly pick even items, odd users odd items."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        own = np.arange(user % 2, n_items, 2)
        items = rng.choice(own, size=per_user, replace=False)
        for t, item in enumerate(items):
            rows.append((user, int(item), 1_600_000_000 + 60 * t + user))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# --- metrics -------------------------------------------------------------------------------


def test_ndcg_binary_gains_and_ideal_over_min_relevant_and_k() -> None:
    hits = np.zeros((3, 10), dtype=bool)
    hits[0, [0, 2]] = True  # DCG = 1 + 1/log2(4) = 1.5; IDCG (2 relevant) = 1 + 1/log2(3)
    hits[1, :] = True  # 15 relevant, all 10 slots hit: ideal is over min(15, 10) = 10
    scores = ndcg_at_k(hits, np.array([2, 15, 0]), k=10)
    assert scores[0] == pytest.approx(1.5 / (1 + 1 / np.log2(3)))
    assert scores[1] == pytest.approx(1.0)
    assert scores[2] == 0.0


def test_recall_divides_by_min_relevant_and_k() -> None:
    hits = np.zeros((2, 20), dtype=bool)
    hits[0, [0, 5, 19]] = True  # 30 relevant → denominator 20
    hits[1, [1, 3]] = True  # 4 relevant
    assert recall_at_k(hits, np.array([30, 4]), k=20) == pytest.approx([0.15, 0.5])


def test_hit_matrix_ignores_padding_and_other_users_items() -> None:
    relevant = sp.csr_matrix(np.array([[0, 0, 1], [1, 0, 1]], dtype=np.float32))
    top = np.array([[2, 0, -1], [0, 1, -1]])
    hits = hit_matrix(top, np.array([1, 0]), relevant)  # user 1's relevant item 0 must not match -1
    assert hits.tolist() == [[True, True, False], [False, False, False]]


def test_mean_metrics_averages_only_users_with_test_items() -> None:
    hits = np.zeros((2, 20), dtype=bool)
    hits[0, 0] = True
    means = mean_metrics(hits, np.array([1, 0]))
    assert means == {"ndcg@10": pytest.approx(1.0), "recall@20": pytest.approx(1.0)}


# --- split ---------------------------------------------------------------------------------

WORKED_EXAMPLE = [
    # user a: 11 is not positive, 12 repeats (earliest kept), 14/15 tie at t=5 → 15 is last
    ("a", 10, 1, 5.0), ("a", 11, 2, 3.0), ("a", 12, 3, 4.0), ("a", 12, 9, 5.0),
    ("a", 13, 4, 4.0), ("a", 15, 5, 4.0), ("a", 14, 5, 4.0),
    # user b: 10 positives → 2 test rows; 99 is never in train and is dropped
    ("b", 15, 1, 5.0), ("b", 10, 2, 5.0), *[("b", 20 + i, 3 + i, 5.0) for i in range(6)],
    ("b", 13, 9, 5.0), ("b", 99, 10, 5.0),
    # user c: 9 positives → floor(1.8) = 1 test row
    *[("c", 20 + i, 1 + i, 4.5) for i in range(8)], ("c", 10, 9, 4.5),
    # user d: 6 rows but only 4 positives → dropped
    ("d", 10, 1, 5.0), ("d", 11, 2, 5.0), ("d", 12, 3, 5.0), ("d", 13, 4, 5.0), ("d", 14, 5, 2.0), ("d", 15, 6, 1.0),
]  # fmt: skip


def test_split_follows_the_protocol_on_a_worked_example() -> None:
    raw = pd.DataFrame(WORKED_EXAMPLE, columns=["user_id", "item_id", "timestamp", "rating"])
    split = temporal_split(to_canonical(raw))

    assert split.user_ids.tolist() == ["a", "b", "c"]
    assert split.item_ids.tolist() == [10, 12, 13, 14, 15, *range(20, 28)]
    assert (split.n_users, split.n_items) == (3, 13)
    test = {user: sorted(group) for user, group in split.test.groupby("user_id")["item_id"]}
    assert test == {"a": [15], "b": [13], "c": [10]}
    train = {user: sorted(group) for user, group in split.train.groupby("user_id")["item_id"]}
    assert train["a"] == [10, 12, 13, 14]
    assert train["b"] == [10, 15, 20, 21, 22, 23, 24, 25]
    assert len(train["c"]) == 8
    assert split.item_ids[split.test["item_idx"]].tolist() == split.test["item_id"].tolist()
    assert split.test_users().tolist() == [0, 1, 2]


def test_without_rating_every_interaction_is_positive() -> None:
    raw = pd.DataFrame({"user_id": [1] * 5, "item_id": range(5), "timestamp": range(5), "weight": [0.1] * 5})
    split = temporal_split(to_canonical(raw))
    assert (len(split.train), len(split.test)) == (4, 0)  # the test item 4 is never in train


# --- data ----------------------------------------------------------------------------------


def test_load_accepts_iso_timestamps_and_movielens_columns(tmp_path: Path) -> None:
    iso = write_csv(
        tmp_path / "iso.csv", pd.DataFrame({"user_id": ["u"], "item_id": ["p"], "timestamp": ["2024-05-01T10:00:00Z"]})
    )
    assert load_interactions(iso)["timestamp"].iloc[0] == pd.Timestamp("2024-05-01 10:00", tz="UTC")
    ml = write_csv(
        tmp_path / "ratings.csv", pd.DataFrame({"userId": [1], "movieId": [2], "rating": [4.5], "timestamp": [0]})
    )
    frame = load_interactions(ml, "movielens")
    assert frame.columns.tolist() == ["user_id", "item_id", "timestamp", "rating"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("user_id,item_id,timestamp\n", "no interactions"),
        ("user_id,timestamp\n1,5\n", "missing column(s) item_id"),
        ("user_id,item_id,timestamp\n1,2,yesterday\n", "unparsable timestamp 'yesterday'"),
        ("user_id,item_id,timestamp\n1,2,1600000000000000\n", "out of range"),
    ],
)
def test_load_rejects_bad_files_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        load_interactions(path)
    assert "\n" not in str(error.value)


def test_load_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_interactions(tmp_path / "nope.csv")


# --- models --------------------------------------------------------------------------------


def test_top_k_unseen_excludes_seen_breaks_ties_low_and_pads() -> None:
    scores = np.array([[1.0, 3.0, 3.0, 0.0], [5.0, 4.0, 3.0, 2.0]])
    seen = sp.csr_matrix(np.array([[0, 0, 0, 0], [1, 1, 1, 0]], dtype=np.float32))
    assert top_k_unseen(scores, seen, 3).tolist() == [[1, 2, 0], [3, -1, -1]]


@pytest.mark.parametrize("name", sorted(RECOMMENDERS))
def test_every_recommender_skips_train_items_and_scores_in_range(name: str) -> None:
    split = make_split(to_canonical(make_interactions()))
    model = RECOMMENDERS[name]()
    metrics = evaluate_model(split, model)
    assert set(metrics) == {"ndcg@10", "recall@20"}
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    users = np.arange(split.n_users)
    top = model.recommend(users, 5)
    assert top.shape == (split.n_users, 5)
    seen = split.train_matrix()
    assert not seen[np.repeat(users, 5), top.ravel()].any()


def test_popularity_recommends_most_popular_unseen_first() -> None:
    split = make_split(to_canonical(make_interactions()))
    model = Popularity()
    model.fit(split)
    counts = np.asarray(split.train_matrix().sum(axis=0)).ravel()
    top = model.recommend(np.array([0]), 3)[0]
    assert np.all(np.diff(counts[top]) <= 0)


def assert_seeded_and_clustered(make: Callable[[], Recommender], at_least: float) -> None:
    """Two fits give the same top 5, and most of it is from the user's own (parity) cluster."""
    split = make_split(to_canonical(make_interactions()))
    first, second = make(), make()
    first.fit(split)
    second.fit(split)
    users = np.arange(split.n_users)
    top = first.recommend(users, 5)
    np.testing.assert_array_equal(top, second.recommend(users, 5))
    same_cluster = split.item_ids[top] % 2 == split.user_ids[users][:, None] % 2
    assert same_cluster.mean() > at_least


def test_als_is_seeded_and_learns_the_clusters() -> None:
    assert_seeded_and_clustered(ALS, 0.9)


TOY_TWO_TOWER = TwoTowerRecommenderConfig(
    train=TrainConfig(epochs=12, batch_size=32, learning_rate=1e-2, patience=12, recall_k=5)
)


@pytest.mark.parametrize(
    "config",
    [TOY_TWO_TOWER, replace(TOY_TWO_TOWER, user_ids=False), replace(TOY_TWO_TOWER, early_stopping=True)],
    ids=["default", "history_only", "early_stopping"],
)
def test_two_tower_is_seeded_and_learns_the_clusters(config: TwoTowerRecommenderConfig) -> None:
    assert_seeded_and_clustered(lambda: TwoTowerRecommender(config), 0.8)


@pytest.mark.parametrize("user_ids", [True, False])
def test_two_tower_without_user_ids_scores_a_user_by_history_alone(user_ids: bool) -> None:
    frame = make_interactions()
    twin = frame[frame["user_id"] == 0].assign(user_id=1_000)  # same items at the same times as user 0
    split = make_split(to_canonical(pd.concat([frame, twin], ignore_index=True)))
    model = TwoTowerRecommender(replace(TOY_TWO_TOWER, user_ids=user_ids))
    model.fit(split)
    scores = model._score(np.searchsorted(split.user_ids, [0, 1_000]))
    assert np.allclose(scores[0], scores[1]) == (not user_ids)


def test_evaluate_report_structure() -> None:
    report = evaluate(to_canonical(make_interactions()), ["popularity"], dataset="tiny")
    assert report["dataset"] == "tiny"
    assert (report["users"], list(report["models"])) == (40, ["popularity"])


def test_per_user_metrics_average_to_evaluate_model() -> None:
    split = make_split(to_canonical(make_interactions()))
    per_user = per_user_metrics(split, ALS())
    assert per_user["user_idx"].tolist() == split.test_users().tolist()
    means = evaluate_model(split, ALS())
    assert {name: per_user[name].to_numpy().mean() for name in means} == pytest.approx(means)
    assert per_user[list(means)].apply(lambda column: column.between(0.0, 1.0).all()).all()


# --- CLI -----------------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(evaluate_command)
    return app


def test_cli_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "tiny.csv", make_interactions())
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli(), [str(data), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "popularity" in result.stdout
    report = json.loads(out.read_text())
    assert set(report) == {"dataset", "users", "items", "models"}
    assert report["dataset"] == "tiny"
    assert {name: set(metrics) for name, metrics in report["models"].items()} == {
        name: {"ndcg@10", "recall@20"} for name in RECOMMENDERS
    }


@pytest.mark.parametrize(
    "content",
    [
        "user_id,timestamp\n1,5\n",
        "",
        "user_id,item_id,timestamp\n1,2,not-a-time\n",
    ],
)
def test_cli_bad_file_exits_2_with_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = CliRunner().invoke(cli(), [str(path), "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert not (tmp_path / "out.json").exists()


def test_cli_rejects_unknown_model(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "tiny.csv", make_interactions())
    result = CliRunner().invoke(cli(), [str(data), "--models", "popularity,nope"])
    assert result.exit_code == 2
    assert "unknown model(s) nope" in result.stderr
