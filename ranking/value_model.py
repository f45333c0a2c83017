"""The value model: one number per candidate, `score = Σ_k w_k · p_k` over the scorer's heads.

The weights say what the product values (a save is worth more than a like; a hide costs). They live
in settings, and a request may override some of them for an experiment; `override` keeps every
weight inside its bounds and the hide weight negative, so an experiment cannot flip the feed into
promoting what people hide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from ranking.model import HEADS

BOUND = 100.0  # |w_k| at most this


@dataclass(frozen=True)
class ValueWeights:
    like: float = 1.0
    comment: float = 4.0
    save: float = 6.0
    share: float = 8.0
    hide: float = -20.0

    def __post_init__(self) -> None:
        for head, weight in self.as_dict().items():
            if not np.isfinite(weight) or abs(weight) > BOUND:
                raise ValueError(f"weight {head}={weight} is outside [-{BOUND:g}, {BOUND:g}]")
            if head == "hide" and weight > 0:
                raise ValueError(f"weight hide={weight} must be zero or negative")
            if head != "hide" and weight < 0:
                raise ValueError(f"weight {head}={weight} must be zero or positive")

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def override(self, overrides: Mapping[str, float] | None) -> ValueWeights:
        """These weights with some replaced (an experiment); unknown heads and bad values are errors."""
        if not overrides:
            return self
        unknown = sorted(set(overrides) - set(HEADS))
        if unknown:
            raise ValueError(f"unknown value-model head(s): {', '.join(unknown)}; known: {', '.join(HEADS)}")
        return replace(self, **{head: float(w) for head, w in overrides.items()})


def value_terms(predictions: Mapping[str, np.ndarray], weights: ValueWeights) -> dict[str, np.ndarray]:
    """Each head's contribution `w_k · p_k` (heads the scorer did not predict contribute nothing)."""
    table = weights.as_dict()
    return {head: table[head] * np.asarray(p, dtype=np.float64) for head, p in predictions.items() if head in table}


def value_scores(predictions: Mapping[str, np.ndarray], weights: ValueWeights, n: int) -> np.ndarray:
    """(n,) scores; zero where no head was predicted."""
    return summed(value_terms(predictions, weights), n)


def summed(terms: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """(n,) the terms added up: the score `Σ_k w_k · p_k`."""
    total = np.zeros(n)
    for term in terms.values():
        total += term
    return total


def top_heads(terms: Mapping[str, np.ndarray], n: int) -> list[str]:
    """Per candidate, the head with the largest positive term (the first such head on a tie), "like" where
    none is positive: what the item is expected to earn, as its explanation says."""
    heads, best = top_head_index(terms, n)
    return [heads[j] for j in best.tolist()]


def top_head_index(terms: Mapping[str, np.ndarray], n: int) -> tuple[tuple[str, ...], np.ndarray]:
    """`top_heads` as the head names and each candidate's index into them (whole-array, for a frame)."""
    heads = tuple(terms) if "like" in terms else (*terms, "like")
    if not terms:
        return heads, np.zeros(n, dtype=np.int64)
    matrix = np.column_stack([np.asarray(terms[h], dtype=np.float64) for h in terms])
    best = matrix.argmax(axis=1)
    positive = matrix[np.arange(n), best] > 0
    return heads, np.where(positive, best, heads.index("like")).astype(np.int64)
