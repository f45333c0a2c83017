"""What a pipeline run returns: the served items, who served them, and per-stage timings and counts.

The served items travel as columns (`ServedList`, one fixed-width record per row, which is also how the
page cache stores them); a `ServedItem` and its reason's text are built only for the rows a page shows.

`served_by` tells the client (and the logs) which pipeline, sources and model produced the page and
whether anything fell back (`degraded` with its reasons). `stages` feeds the metrics: one entry per
source, the merge, each hydrator, filter, the scorer, each selector, explanations and side effects,
in run order, with its seconds and candidates in and out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ranking.degraded import Degraded
from ranking.explain import Usernames, no_names, reasons
from ranking.frame import names_of
from social_core.types import PostId, UserId

if TYPE_CHECKING:
    from ranking.frame import Frame
    from ranking.selectors.exploration import Explored

ROW = np.dtype([("post", "<i8"), ("author", "<i8"), ("score", "<f8"), ("bits", "<i8"), ("phrase", "<i2")])


@dataclass(frozen=True)
class ServedItem:
    post_id: PostId
    author_id: UserId
    score: float
    reason: str
    sources: tuple[str, ...]  # the candidate sources that proposed it


@dataclass(frozen=True, eq=False)
class ServedList:
    """Served rows in served order: post, author, score, source bits (over `sources`) and phrase code
    (`ranking.explain.PHRASES`) per row; `usernames` names the authors when items are built."""

    sources: tuple[str, ...]
    rows: np.ndarray  # of `ROW`
    usernames: Usernames = no_names

    @classmethod
    def of(cls, frame: Frame, usernames: Usernames = no_names) -> ServedList:
        rows = np.empty(len(frame), dtype=ROW)
        rows["post"], rows["author"], rows["score"] = frame.post_id, frame.author_id, frame.score
        rows["bits"], rows["phrase"] = frame.source_bits, frame.phrase
        return cls(frame.sources, rows, usernames)

    def __len__(self) -> int:
        return len(self.rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServedList):
            return NotImplemented
        return self.sources == other.sources and self.rows.tobytes() == other.rows.tobytes()

    def __getitem__(self, rows: slice) -> ServedList:
        return ServedList(self.sources, self.rows[rows], self.usernames)

    def post_ids(self) -> list[PostId]:
        ids: list[PostId] = self.rows["post"].tolist()
        return ids

    def items(self) -> list[ServedItem]:
        """One `ServedItem` per row, its reason's text written now (the authors named by `usernames`)."""
        posts, authors, scores = self.rows["post"].tolist(), self.rows["author"].tolist(), self.rows["score"].tolist()
        proposed = [names_of(self.sources, bits) for bits in self.rows["bits"].tolist()]
        texts = reasons(self.rows["phrase"].tolist(), proposed, self.usernames(authors))
        return [ServedItem(*item) for item in zip(posts, authors, scores, texts, proposed, strict=True)]


@dataclass(frozen=True)
class ServedBy:
    pipeline: str  # "feed", "explore"
    scorer: str  # the registry type that scored: "lightgbm", "torch", "heuristic"
    model_version: str
    sources: tuple[str, ...]  # sources that answered (possibly with nothing)
    failed_sources: tuple[str, ...] = ()
    degraded_reasons: tuple[Degraded, ...] = ()

    @property
    def degraded(self) -> bool:
        return bool(self.degraded_reasons)


@dataclass(frozen=True)
class StageStat:
    kind: str  # "query", "source", "merge", "hydrator", "filter", "scorer", "selector", "explain", "side_effect"
    name: str
    seconds: float
    count_in: int
    count_out: int

    @property
    def removed(self) -> int:
        return max(self.count_in - self.count_out, 0)


@dataclass(frozen=True)
class ServedRows:
    """The feature rows the served items were scored with, in served order (their impressions log them)."""

    columns: tuple[str, ...] = ()
    post_ids: tuple[PostId, ...] = ()
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @classmethod
    def of(cls, served: Frame) -> ServedRows:
        return cls(served.feature_columns, tuple(served.post_id.tolist()), served.features)

    def row(self, post_id: PostId) -> np.ndarray | None:
        try:
            row: np.ndarray = self.matrix[self.post_ids.index(post_id)]
        except ValueError:
            return None
        return row


@dataclass(frozen=True)
class PipelineResult:
    served: ServedList
    served_by: ServedBy
    stages: list[StageStat]
    rows: ServedRows = field(default_factory=ServedRows)
    explored: Explored | None = None  # the exploration's draw, when this request was explored

    @cached_property
    def items(self) -> list[ServedItem]:
        """Every served row as an item (a page needs only its own: `served[start:stop].items()`)."""
        return self.served.items()

    def candidates_per_source(self) -> dict[str, int]:
        return {s.name: s.count_out for s in self.stages if s.kind == "source"}

    def removed_per_filter(self) -> dict[str, int]:
        return {s.name: s.removed for s in self.stages if s.kind == "filter"}

    def seconds_per_stage(self) -> dict[str, float]:
        return {f"{s.kind}:{s.name}": s.seconds for s in self.stages}
