"""Run recommenders through the split and metrics; return and print a small report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from training.evaluation.data import DatasetError
from training.evaluation.metrics import RECALL_K, hit_matrix, mean_metrics, user_metrics
from training.evaluation.models import RECOMMENDERS, Recommender
from training.evaluation.split import Split, temporal_split


class UnknownModelError(ValueError):
    """A model name that is not in `RECOMMENDERS`."""


def resolve_models(names: Sequence[str] | None) -> list[str]:
    """Validate model names; ``None`` or empty means every registered model."""
    if not names:
        return list(RECOMMENDERS)
    unknown = [name for name in names if name not in RECOMMENDERS]
    if unknown:
        known = ", ".join(RECOMMENDERS)
        raise UnknownModelError(f"unknown model(s) {', '.join(unknown)}; choose from {known}")
    return list(dict.fromkeys(names))


def make_split(interactions: pd.DataFrame) -> Split:
    """The protocol's split, refusing data that leaves nobody to evaluate."""
    split = temporal_split(interactions)
    if len(split.test_users()) == 0:
        raise DatasetError("no user has 5 or more positives with a test item seen in train; nothing to evaluate")
    return split


def user_hits(split: Split, recommender: Recommender) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``recommender`` on train; the users with a test item, their top-K hit matrix and test-set sizes."""
    recommender.fit(split)
    users = split.test_users()
    top = recommender.recommend(users, RECALL_K)
    test = split.test_matrix()
    return users, hit_matrix(top, users, test), np.diff(test.indptr)[users]


def evaluate_model(split: Split, recommender: Recommender) -> dict[str, float]:
    """Fit ``recommender`` on train and score its top-K on every user with a test item."""
    _, hits, n_relevant = user_hits(split, recommender)
    return mean_metrics(hits, n_relevant)


def per_user_metrics(split: Split, recommender: Recommender) -> pd.DataFrame:
    """`evaluate_model` user by user: one row per user with a test item (``user_idx`` and each metric);
    the column means are `evaluate_model`'s figures."""
    users, hits, n_relevant = user_hits(split, recommender)
    return pd.DataFrame({"user_idx": users, **user_metrics(hits, n_relevant)})


def evaluate(
    interactions: pd.DataFrame, models: Sequence[str] | None = None, dataset: str = "interactions"
) -> dict[str, Any]:
    """Split ``interactions`` (canonical frame) and evaluate each named model on it."""
    names = resolve_models(models)
    split = make_split(interactions)
    return {
        "dataset": dataset,
        "users": split.n_users,
        "items": split.n_items,
        "models": {name: evaluate_model(split, RECOMMENDERS[name]()) for name in names},
    }


def report_table(report: Mapping[str, Any], seconds: Mapping[str, float] | None = None) -> Table:
    """A rich table of the report; ``seconds`` adds a wall-time column per model."""
    title = f"{report['dataset']}: {report['users']} users, {report['items']} items"
    table = Table(title=title, min_width=len(title))
    table.add_column("model")
    metric_names = list(next(iter(report["models"].values()), {}))
    for metric in metric_names:
        table.add_column(metric, justify="right")
    if seconds is not None:
        table.add_column("wall s", justify="right")
    for name, metrics in report["models"].items():
        row = [name, *(f"{metrics[metric]:.4f}" for metric in metric_names)]
        if seconds is not None:
            row.append(f"{seconds.get(name, float('nan')):.2f}")
        table.add_row(*row)
    return table


def print_report(
    report: Mapping[str, Any], console: Console | None = None, seconds: Mapping[str, float] | None = None
) -> None:
    (console or Console()).print(report_table(report, seconds))
