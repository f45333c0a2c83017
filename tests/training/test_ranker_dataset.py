"""The ranker's dataset (labels, request groups, the time split) and its metrics, on small hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.schema import service_columns
from training.ranker.dataset import LabelConfig, RankerDataError, SplitConfig, ranker_data, trainable_heads
from training.ranker.metrics import auc, calibration_error, ndcg_at_k, reliability

COLUMNS = service_columns("ranker_v1")
T0 = 1_770_000_000_000


def synthetic_frame(seed: int = 0, requests: int = 400, per_request: int = 10) -> pd.DataFrame:
    """A training set with a planted signal: likes and saves follow `ua_interactions_28d`, comments
    `post_hashtag_count`;
    every other feature is noise. Requests are a minute apart, positions a second."""
    rng = np.random.default_rng(seed)
    n = requests * per_request
    request = np.repeat(np.arange(requests), per_request)
    position = np.tile(np.arange(per_request), requests)
    frame = pd.DataFrame({name: rng.gamma(2.0, 2.0, n) for name in COLUMNS})
    signal = frame["ua_interactions_28d"].to_numpy()

    def draw(logit: np.ndarray) -> np.ndarray:
        return np.asarray(rng.random(n) < 1 / (1 + np.exp(-logit)), dtype=np.int8)

    frame["liked"] = draw(1.2 * signal - 6)
    frame["saved"] = draw(0.8 * signal - 6)
    frame["commented"] = draw(0.8 * frame["post_hashtag_count"].to_numpy() - 7)
    frame["shared"] = draw(np.full(n, -4.0))
    frame["hid"] = draw(np.full(n, -5.0))
    frame["impression_id"] = np.arange(n) + 1
    frame["user_id"] = request % 37
    frame["post_id"] = rng.integers(1, 500, n)
    frame["author_id"] = rng.integers(1, 50, n)
    frame["impression_ts"] = T0 + request * 60_000 + position * 1_000
    frame["request_id"] = [f"r{r}" for r in request]
    frame["position"] = position
    frame["dwell_ms"] = rng.integers(500, 12_000, n)
    return frame.sample(frac=1.0, random_state=seed)  # row order must not matter


def test_requests_stay_whole_ordered_by_position_and_split_by_time() -> None:
    data = ranker_data(synthetic_frame(requests=100), COLUMNS, split=SplitConfig(0.2, 0.2))
    assert (len(data.train), len(data.validation), len(data.test)) == (600, 200, 200)
    assert data.feature_names == tuple(COLUMNS) and data.train.features.shape == (600, len(COLUMNS))
    for part in (data.train, data.validation, data.test):
        assert (part.group_sizes == 10).all()
        assert (part.positions.reshape(-1, 10) == np.arange(10)).all()
    assert (
        data.train.groups.max() < data.validation.groups.min() <= data.validation.groups.max() < data.test.groups.min()
    )
    assert data.train.impression_ids.max() < data.test.impression_ids.min()  # ids follow time in the synthetic frame
    assert data.test.fingerprint != data.validation.fingerprint and len(data.test.fingerprint) == 16


def test_relevance_is_the_best_action_and_a_hide_zeroes_it() -> None:
    frame = synthetic_frame(requests=3, per_request=5).sort_values("impression_id")
    for label in ("liked", "commented", "saved", "shared", "hid"):
        frame[label] = 0
    frame["dwell_ms"] = 1_000
    frame.loc[frame.index[0], "dwell_ms"] = 9_000  # long dwell only → 1
    frame.loc[frame.index[1], ["liked", "saved"]] = 1  # → 3 (save beats like)
    frame.loc[frame.index[2], ["liked", "shared"]] = 1  # → 4
    frame.loc[frame.index[3], ["liked", "hid"]] = 1  # → 0
    data = ranker_data(frame, COLUMNS, LabelConfig(), SplitConfig(0.34, 0.34))
    assert data.train.relevance.tolist() == [1, 3, 4, 0, 0]
    assert data.train.labels["hide"].tolist() == [0, 0, 0, 1, 0]


def test_impressions_without_a_request_id_are_grouped_into_sessions() -> None:
    frame = synthetic_frame(requests=6, per_request=4)
    frame["request_id"] = None
    frame["user_id"] = 5  # one user; requests a minute apart, positions a second apart
    with pytest.raises(RankerDataError, match="in 1 requests"):
        ranker_data(frame, COLUMNS)  # a 30 min session gap: one session, too few to split
    split = ranker_data(frame, COLUMNS, LabelConfig(session_gap_s=30), SplitConfig(0.2, 0.2))
    assert len(split.train) + len(split.validation) + len(split.test) == 24
    assert (split.train.group_sizes == 4).all() and (split.test.group_sizes == 4).all()


def test_too_little_data_is_a_clear_error() -> None:
    with pytest.raises(RankerDataError, match="too few"):
        ranker_data(synthetic_frame(requests=2), COLUMNS)
    data = ranker_data(synthetic_frame(requests=30), COLUMNS)
    assert "like" in trainable_heads(data.train, 5)
    with pytest.raises(RankerDataError, match="no objective has 100000"):
        trainable_heads(data.train, 100_000)


def test_ndcg_by_hand() -> None:
    groups = np.array([0, 0, 0, 1, 1, 2, 2])
    relevance = np.array([0, 2, 1, 0, 0, 1, 0])  # group 1 has nothing relevant: left out
    perfect = np.array([0.0, 2, 1, 0, 0, 1, 0])
    assert ndcg_at_k(perfect, relevance, groups) == pytest.approx(1.0)
    worst = -perfect
    # group 0 ranked [0, 1, 2] by gain: DCG = 0 + 1/log2(3) + 3/log2(4); ideal = 3 + 1/log2(3); group 2: 1/log2(3)
    group0 = (1 / np.log2(3) + 3 / 2) / (3 + 1 / np.log2(3))
    assert ndcg_at_k(worst, relevance, groups) == pytest.approx((group0 + 1 / np.log2(3)) / 2)
    assert ndcg_at_k(worst, relevance, groups, k=1) == pytest.approx(0.0)
    assert ndcg_at_k(perfect, np.zeros(7, int), groups) is None


def test_auc_and_calibration() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(20_000) * 0.2
    y = (rng.random(20_000) < p).astype(int)
    table = reliability(y, p, bins=10)
    assert sum(row.count for row in table) == 20_000 and len(table) == 10
    assert [row.mean_predicted for row in table] == sorted(row.mean_predicted for row in table)
    assert calibration_error(table) < 0.01  # calibrated by construction
    assert calibration_error(reliability(y, p * 3, bins=10)) > 0.1  # three times too confident
    forward, backward = auc(y, p), auc(y, -p)
    assert forward is not None and backward is not None and forward > 0.65 and backward < 0.35
    assert auc(np.zeros(5, int), np.arange(5.0)) is None
