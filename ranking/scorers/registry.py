"""The scorer registry: a config's `type` picks the implementation from a plain dict (`SCORERS`).

`lightgbm` and `torch` wrap the registered `RankerModel` (LightGBM explains by decision path; torch
heads have no contributions, so explanations use the largest value-model term). `heuristic` needs no
model. `resolve_scorer` is the fallback rule: a model family configured but no model to load (empty
model registry, or loading failed) serves the heuristic and says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ranking.degraded import Degraded
from ranking.model import RankerModel
from ranking.scorers.base import Scorer
from ranking.scorers.heuristic import HeuristicConfig, HeuristicModel
from ranking.scorers.model_scorer import ModelScorer

log = logging.getLogger("pixelrank.ranking")


@dataclass(frozen=True)
class ScorerConfig:
    type: str = "heuristic"
    heuristic: HeuristicConfig = field(default_factory=HeuristicConfig)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScorerConfig:
        """From a plain dict (settings, YAML): `{"type": "lightgbm"}` or `{"type": "heuristic", "heuristic": {...}}`."""
        unknown = set(raw) - {"type", "heuristic"}
        if unknown:
            raise ValueError(f"unknown scorer setting(s): {', '.join(sorted(unknown))}")
        kind = str(raw.get("type", "heuristic"))
        if kind not in SCORERS:
            raise ValueError(f"unknown scorer type {kind!r}; known: {', '.join(SCORERS)}")
        return cls(kind, HeuristicConfig(**raw.get("heuristic", {})))


def _needs_model(kind: str, explain: bool) -> Callable[[ScorerConfig, RankerModel | None], Scorer]:
    def build(config: ScorerConfig, model: RankerModel | None) -> Scorer:
        if model is None:
            raise ValueError(f"scorer {kind!r} needs a model")
        return ModelScorer(model, kind, explain=explain)

    return build


def _heuristic(config: ScorerConfig, model: RankerModel | None) -> Scorer:
    return ModelScorer(HeuristicModel(config.heuristic), "heuristic")


SCORERS: dict[str, Callable[[ScorerConfig, RankerModel | None], Scorer]] = {
    "lightgbm": _needs_model("lightgbm", explain=True),
    "torch": _needs_model("torch", explain=False),
    "heuristic": _heuristic,
}


def build_scorer(config: ScorerConfig | Mapping[str, Any], model: RankerModel | None = None) -> Scorer:
    config = config if isinstance(config, ScorerConfig) else ScorerConfig.from_dict(config)
    if config.type not in SCORERS:
        raise ValueError(f"unknown scorer type {config.type!r}; known: {', '.join(SCORERS)}")
    return SCORERS[config.type](config, model)


def resolve_scorer(
    config: ScorerConfig, load_model: Callable[[], RankerModel | None]
) -> tuple[Scorer, Degraded | None]:
    """The configured scorer, or the heuristic and the reason it stands in (None when nothing fell back)."""
    if config.type == "heuristic":
        return build_scorer(config), None
    try:
        model = load_model()
    except Exception:  # a broken registry must not take the feed down
        log.exception("loading the %s ranker failed; serving the heuristic", config.type)
        return build_scorer(ScorerConfig("heuristic", config.heuristic)), Degraded.MODEL_LOADING_FAILED
    if model is None:
        return build_scorer(ScorerConfig("heuristic", config.heuristic)), Degraded.NO_MODEL_REGISTERED
    return build_scorer(config, model), None
