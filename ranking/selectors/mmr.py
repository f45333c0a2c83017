"""Topic spread by maximal marginal relevance (Carbonell & Goldstein, 1998) on post embeddings.

Over the best `window` candidates, each position takes the candidate maximising
`λ · relevance − (1 − λ) · max cosine similarity to those already placed`, relevance being the score
rescaled to [0, 1]. Posts without an embedding count as unlike everything. Candidates past the
window keep their order after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext


class PostEmbeddings(Protocol):
    def __call__(self, post_ids: Sequence[int]) -> np.ndarray:
        """(N, D) embeddings, a zero row for a post without one."""
        ...


@dataclass(frozen=True)
class MMRConfig:
    relevance_weight: float = 0.7  # λ: 1 is plain score order, 0 is pure novelty
    window: int = 200

    def __post_init__(self) -> None:
        if not 0.0 <= self.relevance_weight <= 1.0:
            raise ValueError("relevance_weight must be within [0, 1]")


class MMR:
    name = "mmr"

    def __init__(self, embeddings: PostEmbeddings, config: MMRConfig | None = None) -> None:
        self.embeddings, self.config = embeddings, config or MMRConfig()

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        window = min(self.config.window, len(frame))
        if window < 3:
            return np.arange(len(frame))
        vectors = self.embeddings(frame.post_id[:window].tolist())
        order = mmr_order(frame.score[:window], vectors, self.config.relevance_weight)
        return np.concatenate([np.array(order, dtype=np.int64), np.arange(window, len(frame))])


def mmr_order(scores: np.ndarray, vectors: np.ndarray, relevance_weight: float) -> list[int]:
    """The MMR permutation of `scores`' indices.

    The similarities are one matrix product up front, so each pick costs three vector operations: a placed
    candidate's penalty is set to infinity, which keeps it from being picked again."""
    spread = float(scores.max() - scores.min())
    relevance = (scores - scores.min()) / spread if spread > 0 else np.ones(len(scores))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=np.float64), where=norms > 0)
    similarity = (1.0 - relevance_weight) * (unit @ unit.T)
    weighted = relevance_weight * relevance
    penalty = np.zeros(len(scores))  # (1 - λ) · max similarity to those placed; inf once placed
    order: list[int] = []
    for _ in range(len(scores)):
        i = int(np.argmax(weighted - penalty))
        order.append(i)
        np.maximum(penalty, similarity[i], out=penalty)
        penalty[i] = np.inf
    return order
