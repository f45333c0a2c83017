"""Train the LightGBM ranker: one binary booster per head, and a LambdaRank booster on the graded relevance.

Each booster stops early on the validation requests (log-loss for the heads, NDCG@10 for LambdaRank)
and keeps its best iteration. Deterministic for a seed: `deterministic`, row-wise histograms, seeded
bagging and feature sampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

from ranking.models.lightgbm import LightGBMRanker
from training.ranker.dataset import RankerData, trainable_heads
from training.ranker.progress import Progress, no_progress


@dataclass(frozen=True)
class LightGBMConfig:
    rounds: int = 500  # most boosting rounds; early stopping usually ends sooner
    early_stopping_rounds: int = 30
    learning_rate: float = 0.05
    num_leaves: int = 15  # small trees, many rows per leaf: rare objectives overfit fast
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    lambdarank: bool = True
    min_positives: int = 10  # a head with fewer positive training rows is not trained
    threads: int = 1
    seed: int = 0


def booster_params(config: LightGBMConfig, objective: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": objective,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": config.bagging_fraction,
        "bagging_freq": config.bagging_freq,
        "lambda_l2": config.lambda_l2,
        "num_threads": config.threads,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }
    if objective == "lambdarank":
        params |= {"metric": "ndcg", "eval_at": [10]}
    else:
        params["metric"] = "binary_logloss"
    return params


def fit_lightgbm(
    data: RankerData, config: LightGBMConfig, version: str, progress: Progress = no_progress
) -> LightGBMRanker:
    train, valid = data.train, data.validation
    boosters = {}
    for head in trainable_heads(train, config.min_positives):
        boosters[head] = _fit(
            config, "binary", f"lightgbm {head}", progress, data, train.labels[head], valid.labels[head]
        )
    lambdarank = None
    if config.lambdarank and train.relevance.max(initial=0) > 0:
        lambdarank = _fit(config, "lambdarank", "lambdarank", progress, data, train.relevance, valid.relevance)
    return LightGBMRanker(boosters, data.feature_names, version, lambdarank, threads=1)


def _fit(
    config: LightGBMConfig,
    objective: str,
    stage: str,
    progress: Progress,
    data: RankerData,
    train_labels: np.ndarray,
    valid_labels: np.ndarray,
) -> lgb.Booster:
    ranking = objective == "lambdarank"
    names = list(data.feature_names)
    train_set = lgb.Dataset(
        data.train.features,
        train_labels,
        group=data.train.group_sizes if ranking else None,
        feature_name=names,
        params={"verbosity": -1},
    )
    valid_set = lgb.Dataset(
        data.validation.features,
        valid_labels,
        group=data.validation.group_sizes if ranking else None,
        reference=train_set,
    )

    def report(env: lgb.callback.CallbackEnv) -> None:
        progress(stage, env.iteration + 1, config.rounds)

    booster = lgb.train(
        booster_params(config, objective),
        train_set,
        num_boost_round=config.rounds,
        valid_sets=[valid_set],
        callbacks=[report, lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    progress(stage, config.rounds, config.rounds)
    return booster
