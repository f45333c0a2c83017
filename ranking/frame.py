"""`Frame`: a ranking's candidates as columns, one row per candidate, never one object each.

Every stage takes the frame and works on whole arrays: a hydrator fills columns, a filter returns the
rows it removes as a boolean mask, the scorer fills the score columns, a selector returns an order. The
pipeline applies masks and orders with `take`, which indexes every column at once. Python objects are
built only for the served rows, as they leave (`ranking.pipeline`).

Sources are bits: `sources[j]` is the name of bit `1 << j`, in the pipeline's source order, and
`source_scores[:, j]` what that source scored the row (NaN where it did not propose it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from candidates.types import NO_AUTHOR, Proposals
from features.catalogue import NO_PHASH


@dataclass
class Frame:
    sources: tuple[str, ...]
    post_id: np.ndarray  # int64
    author_id: np.ndarray  # int64, NO_AUTHOR until known
    source_bits: np.ndarray  # int64 bitmask over `sources`
    source_scores: np.ndarray  # (n, len(sources)) float64
    deleted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # or unknown to the database
    author_private: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    phash: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # the picture's; NO_PHASH: none
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n, len(feature_columns))
    feature_columns: tuple[str, ...] = ()
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the value model's Σ w_k · p_k
    head: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # index into `heads`
    heads: tuple[str, ...] = ("like",)
    phrase: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))  # `ranking.explain.PHRASES` code

    def __post_init__(self) -> None:
        n = len(self.post_id)
        if len(self.deleted) != n:
            self.deleted = np.zeros(n, dtype=bool)
        if len(self.author_private) != n:
            self.author_private = np.zeros(n, dtype=bool)
        if len(self.phash) != n:
            self.phash = np.full(n, NO_PHASH, dtype=np.int64)
        if len(self.score) != n:
            self.score = np.zeros(n)
        if len(self.head) != n:
            self.head = np.zeros(n, dtype=np.int64)
        if len(self.phrase) != n:
            self.phrase = np.full(n, -1, dtype=np.int16)  # NO_PHRASE until the explainer's stage

    def __len__(self) -> int:
        return len(self.post_id)

    def take(self, rows: np.ndarray) -> Frame:
        """These rows, in this order (a mask or indices), every column alike."""
        features = self.features[rows] if len(self.features) == len(self) else self.features
        return replace(
            self,
            post_id=self.post_id[rows],
            author_id=self.author_id[rows],
            source_bits=self.source_bits[rows],
            source_scores=self.source_scores[rows],
            deleted=self.deleted[rows],
            author_private=self.author_private[rows],
            phash=self.phash[rows],
            features=features,
            score=self.score[rows],
            head=self.head[rows],
            phrase=self.phrase[rows],
        )

    def bit(self, source: str) -> int:
        """The bit of `source` (0 when the pipeline has no such source: nothing matches it)."""
        return 1 << self.sources.index(source) if source in self.sources else 0

    def proposed_by(self, source: str) -> np.ndarray:
        proposed: np.ndarray = (self.source_bits & self.bit(source)) != 0
        return proposed

    def source_names(self, row: int) -> tuple[str, ...]:
        return names_of(self.sources, int(self.source_bits[row]))


@cache  # a handful of source sets per pipeline, asked for every served row
def names_of(sources: tuple[str, ...], bits: int) -> tuple[str, ...]:
    return tuple(name for j, name in enumerate(sources) if bits >> j & 1)


def merged(sources: Sequence[str], found: Sequence[Proposals]) -> Frame:
    """One row per post in first-seen order (lists in the given order, list j proposed by `sources[j]`),
    every source's bit and score kept; the author is the first one a source knew."""
    post = np.concatenate([p.post_id for p in found]) if found else np.zeros(0, dtype=np.int64)
    author_of = np.concatenate([p.author_id for p in found]) if found else np.zeros(0, dtype=np.int64)
    scores = np.concatenate([p.score for p in found]) if found else np.zeros(0)
    which = np.repeat(np.arange(len(found), dtype=np.int64), [len(p) for p in found])
    unique, first, inverse = np.unique(post, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # first-seen order
    row_of = np.empty(len(unique), dtype=np.int64)
    row_of[order] = np.arange(len(unique))
    rows = row_of[inverse]
    bits = np.zeros(len(unique), dtype=np.int64)
    np.bitwise_or.at(bits, rows, np.left_shift(1, which))
    table = np.full((len(unique), len(sources)), np.nan)
    table[rows, which] = scores  # a source proposing a post twice keeps its last score
    author = np.full(len(unique), NO_AUTHOR, dtype=np.int64)
    known = np.flatnonzero(author_of != NO_AUTHOR)
    filled, firsts = np.unique(rows[known], return_index=True)
    author[filled] = author_of[known[firsts]]
    return Frame(tuple(sources), unique[order], author, bits, table)


def empty(sources: Sequence[str] = ()) -> Frame:
    none = np.zeros(0, dtype=np.int64)
    return Frame(tuple(sources), none, none.copy(), none.copy(), np.zeros((0, len(sources))))
