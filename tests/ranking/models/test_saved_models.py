"""Saved rankers: round trips give identical scores, `load_ranker` picks the family, contributions are sane."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest
import torch

from ranking.models import RankerFolderError, load_ranker
from ranking.models.lightgbm import LightGBMRanker
from ranking.models.torch_mtl import MultiTaskConfig, MultiTaskNet, TorchRanker

NAMES = ("signal", "noise_a", "noise_b", "noise_c")


def planted(seed: int = 0, n: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    """Only column 0 matters: P(like) = sigmoid(2·x0 − 2)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, len(NAMES)))
    likes = (rng.random(n) < 1 / (1 + np.exp(-(2 * features[:, 0] - 2)))).astype(int)
    return features, likes


@pytest.fixture(scope="module")
def lightgbm_ranker() -> LightGBMRanker:
    features, likes = planted()
    params = {"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 0, "num_leaves": 7}
    boosters = {
        head: lgb.Booster(model_str=lgb.train(params, lgb.Dataset(features, labels), 30).model_to_string())
        for head, labels in (("like", likes), ("hide", 1 - likes))
    }
    ranking = lgb.train(
        params | {"objective": "lambdarank"}, lgb.Dataset(features, likes, group=[10] * (len(likes) // 10)), 10
    )
    return LightGBMRanker(boosters, NAMES, "test-1", lambdarank=ranking)


def torch_ranker(seed: int = 0) -> TorchRanker:
    torch.manual_seed(seed)
    net = MultiTaskNet(MultiTaskConfig(n_features=len(NAMES), heads=("like", "save"), experts=3))
    net.fit_scaling(planted()[0] * 10)
    return TorchRanker(net, NAMES, "test-torch")


def test_lightgbm_round_trip_scores_identically_and_load_ranker_picks_it(
    lightgbm_ranker: LightGBMRanker, tmp_path: Path
) -> None:
    features = planted(seed=1, n=300)[0]
    lightgbm_ranker.save(tmp_path / "m")
    loaded = load_ranker(tmp_path / "m")
    assert isinstance(loaded, LightGBMRanker) and loaded.heads == ("like", "hide")  # HEADS order
    assert loaded.feature_names == NAMES and loaded.version == "test-1"
    before, after = lightgbm_ranker.predict(features), loaded.predict(features)
    assert set(after) == {"like", "hide"}
    for head in after:
        assert np.array_equal(before[head], after[head])
        assert ((after[head] > 0) & (after[head] < 1)).all()
    score, original = loaded.rank_score(features), lightgbm_ranker.rank_score(features)
    assert score is not None and original is not None and np.array_equal(score, original)
    assert load_ranker(tmp_path / "m", version="pixelrank-ranker/7").version == "pixelrank-ranker/7"


def test_lightgbm_contributions_credit_the_planted_feature(lightgbm_ranker: LightGBMRanker) -> None:
    features = planted(seed=2, n=400)[0]
    contributions = lightgbm_ranker.contributions(features, "like")
    assert contributions is not None and contributions.shape == (400, len(NAMES))
    mean_size = np.abs(contributions).mean(axis=0)
    assert mean_size[0] > 5 * mean_size[1:].max()
    # contributions + bias add up to the raw score: the bias column is the same for every row
    raw = lightgbm_ranker.boosters["like"].predict(features, raw_score=True)
    bias = raw - contributions.sum(axis=1)
    assert np.allclose(bias, bias[0])
    with pytest.raises(KeyError):
        lightgbm_ranker.contributions(features, "share")


def test_torch_round_trip_scores_identically_and_load_ranker_picks_it(tmp_path: Path) -> None:
    ranker = torch_ranker()
    features = planted(seed=3, n=200)[0]
    ranker.save(tmp_path / "t")
    loaded = load_ranker(tmp_path / "t")
    assert isinstance(loaded, TorchRanker) and loaded.heads == ("like", "save")
    before, after = ranker.predict(features), loaded.predict(features)
    for head in ("like", "save"):
        assert after[head].shape == (200,) and after[head].dtype == np.float64
        assert np.array_equal(before[head], after[head])
    assert not np.array_equal(after["like"], torch_ranker(seed=1).predict(features)["like"])  # the weights matter
    assert loaded.contributions(features, "like") is None
    assert torch.equal(loaded.net.center, ranker.net.center)  # the input scaling travels with the weights


def test_a_matrix_of_the_wrong_width_is_refused(lightgbm_ranker: LightGBMRanker) -> None:
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        lightgbm_ranker.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        torch_ranker().predict(np.zeros(4))


def test_load_ranker_refuses_folders_without_a_known_ranker(tmp_path: Path) -> None:
    with pytest.raises(RankerFolderError, match=r"ranker\.json"):
        load_ranker(tmp_path)
    (tmp_path / "ranker.json").write_text(
        json.dumps({"family": "xgboost", "version": "1", "heads": ["like"], "feature_names": ["a"]})
    )
    with pytest.raises(RankerFolderError, match="unknown family 'xgboost'"):
        load_ranker(tmp_path)
    (tmp_path / "ranker.json").write_text("{not json")
    with pytest.raises(RankerFolderError, match="not a ranker manifest"):
        load_ranker(tmp_path)
