"""Which ranker scores a request: the registry's champion (followed by `ChampionModel`) or the heuristic.

The watcher starts on the first ranked request, not with the app: opening the MLflow store costs
seconds, and an API process that never serves a feed (or a test) should not pay it. Each request takes
the champion once (`scoring()`) and keeps that object to the end, so a model promoted mid-request is
used from the next one. The scorer's registry type is the served model's own family (`ranker.json`),
so `served_by.scorer` names it right; with nothing registered the scoring still asks for a model, gets
none, and the pipeline serves the heuristic with `degraded` ("no model registered: heuristic scorer").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from ranking.model import RankerModel
from ranking.models import load_ranker
from ranking.models.lightgbm import LightGBMRanker
from ranking.models.manifest import Manifest
from ranking.scorers.registry import ScorerConfig
from ranking.scoring import Scoring, no_model
from ranking.value_model import ValueWeights
from serving.models import ChampionModel, Loaded, WatchConfig

PLACEHOLDER_FAMILY = "lightgbm"  # asked for while nothing is registered; the pipeline falls back


@dataclass(frozen=True)
class FamilyModel:
    family: str  # the registry type that serves it: "lightgbm" or "torch"
    model: RankerModel


def load_family_model(folder: Path, label: str, *, compile_trees: bool = True) -> FamilyModel:
    """`ChampionModel` loader: the ranker in `folder`, versioned "{name}/{version}", with its family.
    A LightGBM ranker's trees are compiled (unless `compile_trees` is off) and its explanation tables
    built here, in the watcher's thread, once per version."""
    model = load_ranker(folder, label)
    if isinstance(model, LightGBMRanker):
        if compile_trees:
            model.compile(folder / "compiled")
        model.prepare_explanations()
    return FamilyModel(Manifest.read(folder).family, model)


class RankerChoice:
    def __init__(self, mode: Literal["champion", "heuristic"], watch: WatchConfig, compile_trees: bool = True) -> None:
        self.mode, self.watch = mode, watch
        self.loader = partial(load_family_model, compile_trees=compile_trees)
        self._champion: ChampionModel[FamilyModel] | None = None
        self._starting = threading.Lock()

    def current(self) -> Loaded[FamilyModel] | None:
        """The champion now (None: heuristic mode, or nothing registered yet); starts the watcher once."""
        if self.mode == "heuristic":
            return None
        with self._starting:
            if self._champion is None:
                self._champion = ChampionModel(self.watch, self.loader).start()
        return self._champion.current()

    def scoring(self, weights: ValueWeights) -> Scoring:
        """The scoring of one request, pinned to the model serving right now."""
        if self.mode == "heuristic":
            return Scoring(ScorerConfig("heuristic"), no_model, weights)
        loaded = self.current()
        if loaded is None:
            return Scoring(ScorerConfig(PLACEHOLDER_FAMILY), no_model, weights)
        model = loaded.model.model
        return Scoring(ScorerConfig(loaded.model.family), lambda: model, weights)

    def close(self) -> None:
        with self._starting:
            if self._champion is not None:
                self._champion.stop()
                self._champion = None
