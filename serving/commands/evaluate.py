"""`pixelrank evaluate`: the offline protocol on an interactions file, baselines side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from serving.console import fail
from training.evaluation.data import DatasetError, load_interactions
from training.evaluation.models import RECOMMENDERS
from training.evaluation.report import UnknownModelError, print_report
from training.evaluation.report import evaluate as run_evaluation


def evaluate(
    interactions: Annotated[
        Path, typer.Argument(help="CSV with user_id,item_id,timestamp[,rating|weight] (or MovieLens ratings.csv).")
    ],
    follows: Annotated[
        Path | None, typer.Option(help="Follow graph CSV; accepted but unused for now (used by later models).")
    ] = None,
    data_format: Annotated[
        Literal["csv", "movielens"], typer.Option("--format", help="Column layout of INTERACTIONS.")
    ] = "csv",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    models: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated models to compare; available: {', '.join(RECOMMENDERS)}. "
            "lightgbm and torch are the full pipeline: retrieval (ALS, EASE, item-kNN, popularity) and that "
            "ranker, trained on candidates labelled by a time cut inside train "
            "(a minute or two each on ml-latest-small)."
        ),
    ] = ",".join(RECOMMENDERS),
) -> None:
    """Split interactions per user in time (last 20% held out) and report NDCG@10 and Recall@20."""
    names = [name.strip() for name in models.split(",") if name.strip()]
    try:
        frame = load_interactions(interactions, data_format)
        report = run_evaluation(frame, names, dataset=_dataset_name(interactions, data_format))
    except (DatasetError, UnknownModelError) as error:
        fail(str(error))
    print_report(report)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=2) + "\n")


def _dataset_name(path: Path, data_format: str) -> str:
    # MovieLens files are all called ratings.csv; the folder (ml-latest-small, ml-25m) names the set.
    return path.parent.name if data_format == "movielens" and path.parent.name else path.stem
