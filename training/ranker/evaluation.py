"""Evaluate a trained `RankerModel` on the holdout split: the numbers every run logs, family-independent.

The headline is `ndcg_at_10`: requests re-ranked by the *value* of each item (a weighted sum of the
heads' probabilities, hide weighted negatively), scored against the graded relevance. Both families
are measured the same way, so their runs (and a challenger against the champion) compare directly.
`ndcg_at_10_logged` is the order the serving policy actually showed, the baseline to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ranking.model import RankerModel
from ranking.value_model import ValueWeights
from training.ranker.dataset import RankerSplit
from training.ranker.metrics import ReliabilityBin, head_metrics, logloss, ndcg_at_k, reliability


def _value_weights() -> dict[str, float]:
    return ValueWeights().as_dict()  # serving's: the headline ranks items as the feed does


@dataclass(frozen=True)
class EvalConfig:
    k: int = 10
    calibration_bins: int = 10
    importance_rows: int = 2_000  # test rows the permutation importance shuffles
    seed: int = 0
    value_weights: dict[str, float] = field(default_factory=_value_weights)


@dataclass
class Evaluation:
    metrics: dict[str, float]
    calibration: dict[str, list[ReliabilityBin]]
    importance: dict[str, float]  # feature → summed log-loss increase when shuffled (higher: more needed)
    ndcg: float | None  # the headline: NDCG@k of the value score (None: no relevant item in the holdout)


def value_score(predictions: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Σ weight × probability over the heads (a head without a weight counts 0)."""
    value = np.zeros(len(next(iter(predictions.values()))))
    for head, probabilities in predictions.items():
        value += weights.get(head, 0.0) * probabilities
    return value


def evaluate(model: RankerModel, test: RankerSplit, config: EvalConfig = EvalConfig()) -> Evaluation:
    predictions = model.predict(test.features)
    metrics = head_metrics(test.labels, predictions, config.calibration_bins)
    rankings = {"": value_score(predictions, config.value_weights)}
    if (test.positions >= 0).all():
        rankings["_logged"] = -test.positions.astype(np.float64)
    rank_score = getattr(model, "rank_score", None)
    if rank_score is not None and (scores := rank_score(test.features)) is not None:
        rankings["_lambdarank"] = scores
    for suffix, scores in rankings.items():
        ndcg = ndcg_at_k(scores, test.relevance, test.groups, config.k)
        if ndcg is not None:
            metrics[f"ndcg_at_{config.k}{suffix}"] = ndcg
    calibration = {h: reliability(test.labels[h], p, config.calibration_bins) for h, p in predictions.items()}
    importance = permutation_importance(model, test, config)
    return Evaluation(metrics, calibration, importance, metrics.get(f"ndcg_at_{config.k}"))


def permutation_importance(model: RankerModel, test: RankerSplit, config: EvalConfig) -> dict[str, float]:
    """Per feature: how much the heads' summed log-loss grows when that column is shuffled (works for any family)."""
    rng = np.random.default_rng(config.seed)
    rows = rng.permutation(len(test))[: config.importance_rows]
    features = test.features[rows]
    labels = {head: values[rows] for head, values in test.labels.items()}

    def loss(matrix: np.ndarray) -> float:
        return sum(logloss(labels[head], p) for head, p in model.predict(matrix).items())

    base = loss(features)
    out = {}
    for column, name in enumerate(model.feature_names):
        shuffled = features.copy()
        shuffled[:, column] = rng.permutation(shuffled[:, column])
        out[name] = loss(shuffled) - base
    return dict(sorted(out.items(), key=lambda item: -item[1]))
