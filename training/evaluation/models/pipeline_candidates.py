"""Candidate generation: each source's top unseen items per user, merged, with every source's score and rank.

A candidate found by one source still carries the others' opinion of it (score and rank among the
user's unseen items), so the ranker learns how far to trust each source, and where they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from training.evaluation.models.pipeline_sources import SOURCES, Retrieval

SOURCE_FEATURES = tuple(f"{source}_{kind}" for source in SOURCES for kind in ("score", "rank"))


@dataclass(frozen=True)
class CandidateConfig:
    als: int = 200  # how many of each source's top unseen items become candidates
    ease: int = 200
    knn: int = 200
    recent_knn: int = 100
    session_knn: int = 100
    popularity: int = 50
    batch_size: int = 256  # users per batch: the dense score rows are batch × catalogue

    def depth(self, source: str) -> int:
        value: int = getattr(self, source)
        return value


@dataclass(frozen=True)
class Candidates:
    """One row per (user, item) candidate, rows of a user contiguous, users in the order asked."""

    users: np.ndarray
    items: np.ndarray
    source_features: np.ndarray  # (N, len(SOURCE_FEATURES))


def unseen_ranks(scores: np.ndarray, seen: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Scores with seen items at -inf, and each item's 0-based rank among the row (ties: lower index first)."""
    masked = np.array(scores, dtype=np.float64)
    masked[np.repeat(np.arange(len(masked)), np.diff(seen.indptr)), seen.indices] = -np.inf
    order = np.argsort(-masked, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(masked.shape[1])[None, :].repeat(len(masked), axis=0), axis=1)
    return masked, ranks


def generate(retrieval: Retrieval, users: np.ndarray, config: CandidateConfig) -> Candidates:
    """The merged candidates of ``users`` (batch by batch), never an item the user has seen."""
    parts = [_batch(retrieval, users[start : start + config.batch_size], config) for start in _starts(users, config)]
    if not parts:
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(SOURCE_FEATURES))))
    return Candidates(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _starts(users: np.ndarray, config: CandidateConfig) -> range:
    return range(0, len(users), config.batch_size)


def _batch(
    retrieval: Retrieval, users: np.ndarray, config: CandidateConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seen = retrieval.seen[users]
    scored = {name: unseen_ranks(rows, seen) for name, rows in retrieval.scores(users).items()}
    wanted = np.zeros(scored[SOURCES[0]][0].shape, dtype=bool)
    for name, (masked, ranks) in scored.items():
        wanted |= (ranks < config.depth(name)) & np.isfinite(masked)
    rows, items = np.nonzero(wanted)
    columns = []
    for name in SOURCES:
        masked, ranks = scored[name]
        columns += [masked[rows, items], ranks[rows, items].astype(np.float64)]
    return users[rows], items.astype(np.int64), np.stack(columns, axis=1)
