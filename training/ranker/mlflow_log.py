"""What a ranker run writes to MLflow besides metrics: flat params, the reliability table and its plot."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from matplotlib.figure import Figure

from training.ranker.metrics import ReliabilityBin


def flat_params(parts: dict[str, Any]) -> dict[str, Any]:
    """{"lightgbm": LightGBMConfig(...), "version": "x"} → {"lightgbm.rounds": 500, ..., "version": "x"}."""
    params: dict[str, Any] = {}
    for prefix, part in parts.items():
        if is_dataclass(part) and not isinstance(part, type):
            for key, value in asdict(part).items():
                params[f"{prefix}.{key}"] = value
        else:
            params[prefix] = part
    return params


def calibration_tables(calibration: dict[str, list[ReliabilityBin]]) -> dict[str, list[dict[str, float]]]:
    return {head: [asdict(row) for row in rows] for head, rows in calibration.items()}


def reliability_figure(calibration: dict[str, list[ReliabilityBin]], title: str) -> Figure:
    """Observed against predicted rate per equal-count bin, one line per head, log-log (rates are small)."""
    figure = Figure(figsize=(5, 4))
    axes = figure.subplots()
    low = 1.0
    for head, rows in calibration.items():
        points = [(r.mean_predicted, r.observed_rate) for r in rows if r.mean_predicted > 0 and r.observed_rate > 0]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", label=head)
            low = min(low, *xs, *ys)
    axes.plot([low, 1], [low, 1], color="grey", linestyle="--", linewidth=1)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set(xlabel="mean predicted", ylabel="observed rate", title=title)
    if axes.get_legend_handles_labels()[1]:
        axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure
