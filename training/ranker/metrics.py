"""Holdout metrics of a ranker: per head AUC, log-loss and calibration; NDCG@K over requests.

NDCG uses LightGBM's gain (2^relevance - 1) and log2 discount, and averages over requests that hold at
least one relevant item (a request where nothing happened ranks every order alike); requests are the
contiguous `groups` of a `RankerSplit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

EPS = 1e-7


@dataclass(frozen=True)
class ReliabilityBin:
    count: int
    mean_predicted: float
    observed_rate: float


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when the labels hold one class only."""
    if labels.min(initial=0) == labels.max(initial=0):
        return None
    return float(roc_auc_score(labels, scores))


def logloss(labels: np.ndarray, probabilities: np.ndarray) -> float:
    return float(log_loss(labels, np.clip(probabilities, EPS, 1 - EPS), labels=[0, 1]))


def reliability(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """Equal-count bins of the predicted probability: rare objectives would leave equal-width bins empty."""
    order = np.argsort(probabilities, kind="stable")
    return [
        ReliabilityBin(len(part), float(probabilities[part].mean()), float(labels[part].mean()))
        for part in np.array_split(order, min(bins, len(order)))
        if len(part)
    ]


def calibration_error(table: list[ReliabilityBin]) -> float:
    """Expected calibration error: the count-weighted gap between predicted and observed rates."""
    total = sum(row.count for row in table)
    return sum(row.count * abs(row.mean_predicted - row.observed_rate) for row in table) / max(total, 1)


def ndcg_at_k(scores: np.ndarray, relevance: np.ndarray, groups: np.ndarray, k: int = 10) -> float | None:
    """Mean NDCG@k over the groups with a relevant item (ties broken by row order), or None if none has."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(groups)]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for start, end in zip(starts, ends, strict=True):
        gains = np.exp2(relevance[start:end].astype(np.float64)) - 1
        if gains.max() <= 0:
            continue
        ranked = gains[np.argsort(-scores[start:end], kind="stable")][:k]
        ideal = np.sort(gains)[::-1][:k]
        values.append(float(ranked @ discounts[: len(ranked)] / (ideal @ discounts[: len(ideal)])))
    return float(np.mean(values)) if values else None


def head_metrics(labels: dict[str, np.ndarray], predictions: dict[str, np.ndarray], bins: int = 10) -> dict[str, float]:
    """auc_/logloss_/ece_/base_rate_/mean_prediction_{head} for every predicted head (auc left out if undefined)."""
    metrics: dict[str, float] = {}
    for head, probabilities in predictions.items():
        truth = labels[head]
        area = auc(truth, probabilities)
        if area is not None:
            metrics[f"auc_{head}"] = area
        metrics[f"logloss_{head}"] = logloss(truth, probabilities)
        metrics[f"ece_{head}"] = calibration_error(reliability(truth, probabilities, bins))
        metrics[f"base_rate_{head}"] = float(truth.mean())
        metrics[f"mean_prediction_{head}"] = float(probabilities.mean())
    return metrics
