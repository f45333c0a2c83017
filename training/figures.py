"""The pictures every training run logs, one function per picture, each from plain arrays.

They return a matplotlib `Figure` built without pyplot (no global state, no display, safe in threads);
`mlflow.log_figure(figure, "name.png")` stores it with the run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure


def feature_importance_figure(names: Sequence[str], importance: Sequence[float], top: int = 25) -> Figure:
    """Horizontal bars of the `top` most important features, the largest at the top."""
    if len(names) != len(importance):
        raise ValueError(f"{len(names)} feature names but {len(importance)} importances")
    values = np.asarray(importance, dtype=float)
    order = np.argsort(-values, kind="stable")[:top][::-1]
    figure = Figure(figsize=(6, 0.25 * len(order) + 1.2))
    axes = figure.subplots()
    axes.barh([names[i] for i in order], values[order])
    axes.set(xlabel="importance", title="feature importance")
    figure.tight_layout()
    return figure


def calibration_bins(predicted: np.ndarray, labels: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Mean predicted probability and observed positive rate per equal-width bin (empty bins dropped)."""
    predicted, labels = np.asarray(predicted, dtype=float), np.asarray(labels, dtype=float)
    if predicted.shape != labels.shape:
        raise ValueError(f"predicted {predicted.shape} and labels {labels.shape} differ in shape")
    which = np.clip((predicted * bins).astype(int), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    filled = counts > 0
    mean_predicted = np.bincount(which, weights=predicted, minlength=bins)[filled] / counts[filled]
    observed = np.bincount(which, weights=labels, minlength=bins)[filled] / counts[filled]
    return mean_predicted, observed


def calibration_figure(predicted: np.ndarray, labels: np.ndarray, bins: int = 10, head: str = "") -> Figure:
    """Observed rate against predicted probability; a calibrated model lies on the diagonal."""
    mean_predicted, observed = calibration_bins(predicted, labels, bins)
    figure = Figure(figsize=(4.5, 4.5))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    axes.plot(mean_predicted, observed, marker="o", label=head or "model")
    axes.set(xlabel="predicted probability", ylabel="observed rate", xlim=(0, 1), ylim=(0, 1))
    axes.set_title(f"calibration {head}".strip())
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def recall_at_k_figure(ks: Sequence[int], recall: Sequence[float], title: str = "recall@K") -> Figure:
    """Recall@K against K on a log axis."""
    if len(ks) != len(recall):
        raise ValueError(f"{len(ks)} values of K but {len(recall)} recalls")
    figure = Figure(figsize=(5, 3.5))
    axes = figure.subplots()
    axes.plot(list(ks), list(recall), marker="o")
    axes.set_xscale("log")
    axes.set(xlabel="K", ylabel="recall@K", title=title, ylim=(0, 1))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def estimates_figure(
    labels: Sequence[str], values: Sequence[float], lows: Sequence[float], highs: Sequence[float], title: str
) -> Figure:
    """Each estimate as a point with its interval, one row per label (e.g. "champion · snips")."""
    if not len(labels) == len(values) == len(lows) == len(highs):
        raise ValueError("labels, values and interval ends differ in length")
    value, low, high = (np.asarray(v, dtype=float) for v in (values, lows, highs))
    rows = np.arange(len(labels))[::-1]
    figure = Figure(figsize=(6, 0.35 * len(labels) + 1.4))
    axes = figure.subplots()
    axes.errorbar(value, rows, xerr=np.vstack([value - low, high - value]), fmt="o", capsize=3)
    axes.set_yticks(rows, list(labels))
    axes.set(xlabel="estimated reward per request", title=title)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure
